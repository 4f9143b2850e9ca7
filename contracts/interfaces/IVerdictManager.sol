// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAppealCourt} from "./IAppealCourt.sol";
import {IStakeManager} from "./IStakeManager.sol";

/// @title IVerdictManager
/// @notice Turns signed incident verdicts of the oracle committee into a proportional response:
/// slash into the recovery escrow, jail, freeze the pool. Holds the slashing matrix, the escalation
/// record of each provider, the slash-rate caps, the guardian pause and the appeals.
/// @dev Roles and their powers:
/// - `DEFAULT_ADMIN_ROLE` (the governance timelock) sets the windows, limits and the slashing matrix,
///   and grants the other roles. Its setters refuse any window that would outlast the unbonding period.
/// - `APPEALS_ROLE` (the appeal court) marks incidents appealed and records the arbiter's decisions
///   (upheld or overturned) and tombstone finalizations; the court applies their consequences. It cannot slash.
/// - `GUARDIAN_ROLE` pauses verdict execution (never appeals, never stake withdrawals) for at most
///   `maxPause`, not again before `pauseCooldown` has passed, and may end its pause early.
/// - `ESCROW_ROLE` (the recovery escrow) reports that an incident's escrow reached an end state.
/// Anyone may relay signatures, execute a verdict that has its quorum, and finalize what a window
/// has made final.
interface IVerdictManager {
    /* ERRORS */

    /// @notice The verdict names committee epoch `verdictEpoch`; the current one is `currentEpoch`.
    error StaleCommitteeEpoch(uint64 verdictEpoch, uint64 currentEpoch);
    /// @notice `signer` is not a member of the committee in `epoch`.
    error NotCommitteeMember(address signer, uint64 epoch);
    /// @notice `signer` appears twice among the signatures of one submission.
    error DuplicateSigner(address signer);
    /// @notice A signature is malformed or malleable (high s), at position `index`.
    error InvalidSignature(uint256 index);
    /// @notice The verdict's deadline `deadline` has passed; it is `nowTime`.
    error VerdictDeadlinePassed(uint256 deadline, uint256 nowTime);
    /// @notice The verdict's deadline `deadline` lies beyond `observedAt + maxVerdictAge` (`latest`).
    error DeadlineTooFar(uint256 deadline, uint256 latest);
    /// @notice The verdict observed at `observedAt` is older than the maximum verdict age allows, or in the future.
    error ObservationOutOfRange(uint256 observedAt, uint256 nowTime);
    /// @notice The verdict's incident id is not the one derived from its provider, class and observation time.
    error IncidentIdMismatch(bytes32 given, bytes32 derived);
    /// @notice The slashing matrix has no row for `violationClass` at `severity`.
    error SeverityNotApplicable(uint8 violationClass, uint8 severity);
    /// @notice The incident `incidentId` was already executed (by this or another verdict).
    error IncidentAlreadyExecuted(bytes32 incidentId);
    /// @notice A poor-performance verdict observed while a jail imposed before it ran (until `jailedUntil`):
    /// a jailed node is not expected to serve.
    error PoorPerformanceWhileJailed(address provider, uint256 jailedUntil);
    /// @notice The verdict has `approvals` approvals; it needs `threshold`.
    error QuorumNotReached(uint256 approvals, uint256 threshold);
    /// @notice The verdict could be executed until `executableUntil`; it is `nowTime`.
    error ExecutionWindowPassed(uint256 executableUntil, uint256 nowTime);
    /// @notice Verdict execution is paused until `pausedUntil`.
    error ExecutionPaused(uint256 pausedUntil);
    /// @notice The rolling caps (system and provider) leave nothing of the `amount` owed to collect now
    /// (`available`).
    error SlashRateCapExceeded(uint256 amount, uint256 available);
    /// @notice The provider `provider` is not registered or is tombstoned.
    error ProviderNotSlashable(address provider);
    /// @notice The verdict passed in does not match the executed incident `incidentId`.
    error VerdictMismatch(bytes32 incidentId);
    /// @notice The incident `incidentId` was never executed.
    error UnknownIncident(bytes32 incidentId);
    /// @notice The appeal window ended at `windowEnd`; it is `nowTime`.
    error AppealWindowClosed(uint256 windowEnd, uint256 nowTime);
    /// @notice The appeal window ends at `windowEnd`; it is `nowTime`.
    error AppealWindowOpen(uint256 windowEnd, uint256 nowTime);
    /// @notice The incident was already appealed.
    error AlreadyAppealed(bytes32 incidentId);
    /// @notice The incident has no unresolved appeal.
    error NoPendingAppeal(bytes32 incidentId);
    /// @notice The incident is not a tombstoning verdict waiting for finalization.
    error NotFinalizable(bytes32 incidentId);
    /// @notice Verdict execution is already paused.
    error AlreadyPaused();
    /// @notice Verdict execution is not paused.
    error NotPaused();
    /// @notice A new pause is possible from `allowedFrom`; it is `nowTime`.
    error PauseCooldown(uint256 allowedFrom, uint256 nowTime);
    /// @notice The parameters would leave `window` seconds of slashability against an unbonding period of `unbonding`.
    error UnbondingTooShort(uint256 unbonding, uint256 window);
    /// @notice The escrow's maximum lifetime leaves `slack` seconds beyond the recovery path; the appeal
    /// window, its resolution and one pause need `needed`.
    error LifetimeTooShort(uint256 slack, uint256 needed);
    /// @notice A parameter is out of its allowed range.
    error InvalidParameter(string name);
    /// @notice Nothing is owed on `incidentId` (no remainder, or it was collected, cancelled or written off).
    error NothingOwed(bytes32 incidentId);
    /// @notice A verdict for an executed incident (an upgrade) must carry a higher signed severity than it.
    error SeverityNotAbove(bytes32 incidentId, uint8 severity, uint8 current);
    /// @notice An overturned or closed incident cannot be upgraded.
    error NotUpgradable(bytes32 incidentId);
    /// @notice The appeal court is connected once, by the deployment.
    error AlreadyConnected();

    /* STRUCTS */

    /// @notice The violation classes of the slashing matrix.
    enum ViolationClass {
        PoorPerformance,
        SecurityBreach,
        ProtocolViolation
    }

    /// @notice Penalty levels; repeat offenses escalate a verdict's severity to a higher level.
    enum Level {
        Warning,
        Penalty,
        Severe
    }

    /// @notice How a slashed provider earns its stake back.
    enum RecoveryPath {
        /// No recovery (warnings, forfeiture).
        None,
        /// Restoration attestations only.
        ServiceImprovement,
        /// An auditor's audit proof and restoration attestations.
        SecurityReview,
        /// An auditor's audit proof.
        ComplianceVerification
    }

    /// @notice Phase of an incident, derived by `ISwarmLens.stateOf`.
    enum Phase {
        /// Nothing recorded.
        None,
        /// A verdict for it has approvals but has not executed.
        Detected,
        /// Executed: slashed into escrow, jailed, pool frozen (a warning only records).
        Responded,
        /// Appealed, waiting for the arbiter.
        Appealed,
        /// The provider's recovery claim is under way (reported by the escrow).
        Restoring,
        /// The evaluation report is recorded (reported by the escrow).
        Evaluated,
        /// Ended: released, forfeited, tombstoned, or a warning past its appeal window.
        Closed,
        /// Overturned on appeal: everything restored.
        Overturned
    }

    /// @notice A verdict of the oracle committee (EIP-712 typed data).
    struct Verdict {
        /// keccak256(abi.encode(provider, violationClass, observedAt / bucketLength)).
        bytes32 incidentId;
        /// The provider's owner address.
        address provider;
        /// A `ViolationClass`.
        uint8 violationClass;
        /// A `Level`, before escalation.
        uint8 severity;
        /// keccak256 of the canonical JSON evidence bundle.
        bytes32 evidenceHash;
        /// Unix time of the observation.
        uint64 observedAt;
        /// Last moment at which approvals are accepted.
        uint64 deadline;
        /// The committee epoch whose members sign.
        uint64 committeeEpoch;
    }

    /// @notice One row of the slashing matrix, packed into one slot.
    struct PenaltyRow {
        /// Share of the pool slashed into escrow, in basis points.
        uint16 slashBps;
        /// Share of the escrow the provider can recover, in basis points.
        uint16 recoverableBps;
        /// Jail time in seconds.
        uint32 jailDuration;
        /// A `RecoveryPath`.
        uint8 recoveryPath;
        /// Whether the provider is tombstoned (and the escrow forfeited) once the appeal window has passed.
        bool tombstone;
        /// Whether verdicts may carry this class and level.
        bool enabled;
    }

    /// @notice Windows of the protocol in seconds, packed into one slot.
    struct Windows {
        /// Maximum age of an observation when its verdict is approved.
        uint32 maxVerdictAge;
        /// Time after a verdict's deadline during which a verdict with quorum may still execute.
        uint32 executionGrace;
        /// Time after execution during which the provider may appeal.
        uint32 appealWindow;
        /// Time after an appeal within which the arbiter resolves it.
        uint32 appealResolution;
        /// Offenses this close together escalate the level.
        uint32 lookback;
        /// Length of the observation-time bucket in the incident id.
        uint32 bucketLength;
        /// Longest guardian pause.
        uint32 maxPause;
        /// Time after a pause ends before the next may start.
        uint32 pauseCooldown;
    }

    /// @notice Amounts and caps, packed into one slot.
    struct Limits {
        /// Bond posted with an appeal of a slashing verdict.
        uint96 appealBond;
        /// Taken from each signer's operator bond when its verdict is overturned.
        uint96 oraclePenalty;
        /// Rolling cap on slashing, in basis points of total stake per `capWindow` (see {IStakeManager-CapUse}).
        uint16 rateCapBps;
        /// Rolling sub-cap per provider, in basis points of its pool per `capWindow`.
        uint16 providerCapBps;
        /// Length of the rolling cap window in seconds.
        uint32 capWindow;
    }

    /// @notice The stored part of an incident, packed into one slot. The executed verdict itself is
    /// committed to by its digest, stored beside it.
    struct Incident {
        /// Time of the first approval of any verdict for this incident.
        uint40 detectedAt;
        /// Time of execution (0: not executed).
        uint40 executedAt;
        /// Time of the appeal (0: none).
        uint40 appealedAt;
        /// The `Level` applied after escalation.
        uint8 level;
        /// The `ViolationClass`.
        uint8 violationClass;
        /// Bit flags: `FLAG_APPEAL_RESOLVED`, `FLAG_OVERTURNED`, `FLAG_CLOSED`, `FLAG_TOMBSTONE`.
        uint8 flags;
        /// Appeal window copied at execution.
        uint32 appealWindow;
        /// Appeal resolution time copied at execution.
        uint32 appealResolution;
        /// The approvals of the executed verdict (bit i: seat i of its epoch), kept here when they fit (seats
        /// 1 to 24; 0: kept as `approvalsOf(digest)`), so that a verdict reaching quorum in one transaction
        /// writes no approval slot of its own.
        uint24 approvals;
        /// The signed severity in force (the executed verdict's, or its latest upgrade's that stands).
        uint8 severity;
        /// The slash rate of the level in force, basis points (copied from the matrix): with what the
        /// incident assessed, it gives the pool assets recorded at first execution (an upgrade's base).
        uint16 slashBps;
    }



    /* EVENTS */

    /// @notice `signer` approved the verdict `digest` for `incidentId`; it now has `approvals`.
    event VerdictApproved(bytes32 indexed digest, bytes32 indexed incidentId, address indexed signer, uint256 approvals);
    /// @notice The verdict `digest` reached quorum but could not execute yet (`reason`: an error selector).
    event VerdictDeferred(bytes32 indexed digest, bytes32 indexed incidentId, bytes4 reason);
    /// @notice The caps let the verdict of `incidentId` take only part of its slash at execution: `remainder`
    /// is owed, collected by {collect} as the caps allow (the pool stays frozen meanwhile).
    event RemainderOwed(bytes32 indexed incidentId, address indexed provider, uint256 remainder);
    /// @notice `amount` of the remainder of `incidentId` was collected into its escrow; `remainder` is still owed.
    event RemainderCollected(bytes32 indexed incidentId, address indexed provider, uint256 amount, uint256 remainder);
    /// @notice The `remainder` still owed on `incidentId` was cancelled (an overturn) or written off (the
    /// incident ended, or reached its maximum lifetime, first).
    event RemainderCleared(bytes32 indexed incidentId, address indexed provider, uint256 remainder);
    /// @notice The verdict `digest` executed: `provider` slashed `amount` into escrow at `level`,
    /// jailed until `jailedUntil` (0: a warning, nothing slashed or frozen). The event carries every
    /// field of the verdict, so the verdict that later steps take can be rebuilt from the chain.
    event VerdictExecuted(
        bytes32 indexed incidentId,
        address indexed provider,
        bytes32 indexed digest,
        Verdict verdict,
        uint8 level,
        uint256 amount,
        uint256 jailedUntil
    );
    /// @notice `incidentId` of `provider` was appealed.
    event IncidentAppealed(bytes32 indexed incidentId, address indexed provider);
    /// @notice The appeal of `incidentId` ended with the verdict standing.
    event VerdictUpheld(bytes32 indexed incidentId, address indexed provider);
    /// @notice `incidentId` was overturned (the appeal court's `AppealOverturned` carries the amounts).
    event VerdictOverturned(bytes32 indexed incidentId, address indexed provider);
    /// @notice `provider` was tombstoned for `incidentId`, its escrow forfeited.
    event IncidentTombstoned(bytes32 indexed incidentId, address indexed provider);
    /// @notice `incidentId` reached an end state.
    event IncidentClosed(bytes32 indexed incidentId, address indexed provider);
    /// @notice Verdict execution is paused until `pausedUntil`.
    event Paused(address indexed guardian, uint256 pausedUntil);
    /// @notice Verdict execution resumed.
    event Unpaused(address indexed by);
    /// @notice The appeal court, which applies and judges upgrades, was connected.
    event AppealCourtSet(address indexed court);
    /// @notice The windows changed.
    event WindowsSet(Windows windows);
    /// @notice The limits changed.
    event LimitsSet(Limits limits);
    /// @notice The matrix row of `violationClass` at `level` changed.
    event PenaltyRowSet(uint8 indexed violationClass, uint8 indexed level, PenaltyRow row);

    /* VERDICTS */

    /// @notice Records the approvals carried by `signatures` (members of the verdict's epoch, each at
    /// most once) and executes the verdict when it reaches quorum. Only a guardian pause defers it
    /// (`VerdictDeferred`): neither the caps (which bound the tokens taken now, the rest being owed) nor
    /// another open incident of the provider, of any class, can. Anyone may call.
    /// @return executed Whether the verdict executed in this call.
    function submit(Verdict calldata verdict, bytes[] calldata signatures) external returns (bool executed);

    /// @notice Records the caller's own approval (a member sending the transaction itself).
    function approve(Verdict calldata verdict) external returns (bool executed);

    /// @notice Executes a verdict that already has quorum, until its deadline plus the grace (extended
    /// by time spent paused). Anyone may call.
    function execute(Verdict calldata verdict) external;

    /* APPEALS */

    /// @notice Marks an executed, unappealed verdict appealed within its appeal window. Only `APPEALS_ROLE`.
    /// @return incident The incident as stored before the call (level, windows).
    function markAppealed(Verdict calldata verdict) external returns (Incident memory incident);

    /// @notice Ends the pending appeal of `verdict` with the verdict standing. Only `APPEALS_ROLE`, which
    /// then applies the consequences.
    /// @return tombstone Whether the verdict tombstones: the incident is closed, and the appeal court
    /// tombstones the provider and forfeits the escrow. @return owed Whether a remainder is still owed.
    function uphold(Verdict calldata verdict) external returns (bool tombstone, bool owed);

    /// @notice Overturns `verdict` on appeal: cap use refunded, a remainder owed cancelled, its offense and
    /// jail taken out of the provider's standing set (see {IStakeManager-unstand}). Only `APPEALS_ROLE`,
    /// which then refunds the escrow, unfreezes the pool and penalizes the signers.
    /// @return slashing Whether the verdict slashed (not a warning). @return approvals The approval bitmap
    /// of the overturned verdict (bit i: seat i of its committee epoch signed).
    function overturn(Verdict calldata verdict) external returns (bool slashing, uint256 approvals);

    /// @notice Closes a tombstoning incident once its appeal window has passed without appeal. Only
    /// `APPEALS_ROLE` (the appeal court's `finalizeTombstone`, open to anyone).
    /// @return owed Whether a remainder is still owed.
    function closeTombstone(Verdict calldata verdict) external returns (bool owed);

    /// @notice Marks `incidentId` of `provider` closed once its escrow reached an end state (a remainder
    /// still owed is written off): its offense stands for good, and its jail too unless its recovery
    /// completed (`recovered`: the jail then ends with it). Only `ESCROW_ROLE`.
    function closeIncident(bytes32 incidentId, address provider, bool recovered) external;

    /// @notice Takes what the caps allow of the remainder owed on `verdict`'s incident into its escrow (into
    /// the insurance pool once a tombstone forfeited the escrow). Once the incident is past its maximum
    /// lifetime, writes the remainder off instead. Paused with verdict execution. Anyone may call.
    /// @return collected Tokens taken.
    function collect(Verdict calldata verdict) external returns (uint256 collected);

    /// @notice Writes what an upgrade of `incidentId`, or its overturn, changes in the incident: the level,
    /// the signed severity, the slash rate, the tombstone flag, and what it owes (`remainder`, and
    /// `collected` so far). Only `APPEALS_ROLE` (the appeal court, which keeps the upgrade's record).
    function restate(
        bytes32 incidentId,
        uint8 level,
        uint8 severity,
        uint16 slashBps,
        bool tombstone,
        uint256 remainder,
        uint256 collected
    ) external;

    /* GUARDIAN */

    /// @notice Pauses verdict execution for `maxPause`. Only `GUARDIAN_ROLE`.
    function pause() external;

    /// @notice Ends the current pause. `GUARDIAN_ROLE` or `DEFAULT_ADMIN_ROLE`.
    function unpause() external;

    /* GOVERNANCE */

    /// @notice Sets the windows. Only `DEFAULT_ADMIN_ROLE`.
    function setWindows(Windows calldata windows_) external;

    /// @notice Sets amounts and caps. Only `DEFAULT_ADMIN_ROLE`.
    function setLimits(Limits calldata limits_) external;

    /// @notice Connects the appeal court, once (the deployment does). Only `DEFAULT_ADMIN_ROLE`.
    function setAppealCourt(IAppealCourt court) external;

    /// @notice Sets one row of the slashing matrix. Only `DEFAULT_ADMIN_ROLE`.
    function setPenaltyRow(uint8 violationClass, uint8 level, PenaltyRow calldata row) external;

    /* VIEWS */

    /// @notice The EIP-712 digest of `verdict` that members sign.
    function hashVerdict(Verdict calldata verdict) external view returns (bytes32);

    /// @notice The approvals recorded for `digest` (bit i: seat i of the verdict's epoch approved) while it
    /// waits for quorum or for the end of a pause. A verdict that executes keeps its approvals in its
    /// incident when they fit ({Incident-approvals}); then this shows only those recorded before the
    /// transaction that reached quorum.
    function approvalsOf(bytes32 digest) external view returns (uint256);

    /// @notice The stored incident and the digest of its executed verdict.
    function getIncident(bytes32 incidentId) external view returns (Incident memory incident, bytes32 digest);

    /// @notice Whether the latest upgrade of `incidentId` is past appeal (see {IAppealCourt-upgradeOver};
    /// true without an upgrade): the escrow's releases and closes wait for it.
    function upgradeOver(bytes32 incidentId) external view returns (bool);

    /// @notice What `incidentId` still owes and what collects took of its remainders so far.
    function debtOf(bytes32 incidentId) external view returns (uint256 remainder, uint256 collected);

    /// @notice The cap parameters in force, as the StakeManager books them.
    function capParams() external view returns (IStakeManager.Caps memory);

    /// @notice Tokens still owed on `incidentId` (a slash the caps cut short).
    function remainderOf(bytes32 incidentId) external view returns (uint256);

    /// @notice The slashing matrix row of `violationClass` at `level`.
    function penaltyRow(uint8 violationClass, uint8 level) external view returns (PenaltyRow memory);

    /// @notice The windows in force.
    function windows() external view returns (Windows memory);

    /// @notice The limits in force.
    function limits() external view returns (Limits memory);

    /// @notice Until when verdict execution is paused (0 or a past time: not paused).
    function pausedUntil() external view returns (uint256);

    /// @notice Seconds spent paused since deployment, the running pause included. Deadlines that a
    /// pause extends (escrow claim, challenge and lifetime windows) count only unpaused time:
    /// `block.timestamp - pausedTotal()` is the clock they run on.
    function pausedTotal() external view returns (uint256);


    /// @notice Seconds during which stake stays slashable after it stops being bonded: the unbonding
    /// period must exceed it.
    function slashableWindow() external view returns (uint256);

    /// @notice Seconds an oracle bond withdrawal requested now stays locked: every window in which a
    /// verdict signed before the request can still be overturned, by the windows in force or, if
    /// longer, by the windows a change replaced (a change never shortens a lock already owed).
    function bondLockPeriod() external view returns (uint256);
}
