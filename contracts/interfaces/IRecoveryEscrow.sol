// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerdictManager} from "./IVerdictManager.sol";

/// @title IRecoveryEscrow
/// @notice Holds what a verdict slashed, one escrow per incident, and gives a provider that fixed its
/// node a verifiable path back: a recovery claim (with an auditor's audit proof where the recovery path
/// needs one) starts the observation epochs; the committee attests each epoch (k of n); vested tranches
/// are paid back into the provider's pool after the challenge window; the committee records the
/// evaluation report before the final release. What is not recoverable goes to the insurance pool.
/// @dev Roles and their powers:
/// - `VERDICT_ROLE` (the verdict contract) opens an escrow for an executed incident and adds the
///   remainder it collects later.
/// - `APPEALS_ROLE` (the appeal court) refunds an escrow to the pool when its verdict is overturned,
///   or forfeits it when the provider is tombstoned.
/// - `DEFAULT_ADMIN_ROLE` (the governance timelock) registers auditors, sets the recovery parameters
///   (a new version; open escrows keep the version they were opened under) and spends the insurance
///   pool. It cannot move escrowed stake.
/// - Committee members (of the `OracleCommittee`) attest observation epochs, reject claims during the
///   challenge window and record evaluations, each by quorum.
/// - The provider's operator key files claims. Anyone relays attestations, pays out vested tranches
///   and closes escrows whose deadlines have passed.
/// Tokens held always equal the escrows not yet ended plus the insurance pool.
interface IRecoveryEscrow {
    /* ERRORS */

    /// @notice An amount argument was zero.
    error ZeroAmount();
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice An escrow for `incidentId` already exists.
    error EscrowExists(bytes32 incidentId);
    /// @notice `incidentId` has no escrow that is still open.
    error EscrowNotOpen(bytes32 incidentId);
    /// @notice The verdict passed in is not the one executed for `incidentId`.
    error VerdictMismatch(bytes32 incidentId);
    /// @notice Spending `amount` exceeds the insurance pool's `available` balance.
    error InsufficientInsurance(uint256 amount, uint256 available);
    /// @notice The token moved `received` to the contract when `expected` was asked for.
    error TransferAmountMismatch(uint256 expected, uint256 received);
    /// @notice Only the provider's operator key may file a claim.
    error NotProviderOperator(address caller);
    /// @notice The incident's recovery path gives nothing back (a warning or a tombstone); also refused by
    /// `close` for a tombstoning incident, which the tombstone ends.
    error NotRecoverable(bytes32 incidentId);
    /// @notice A claim can be filed only while the escrow is escrowed or its last claim was rejected.
    error ClaimNotAllowed(bytes32 incidentId, uint8 status);
    /// @notice Claims had to be filed by `deadline`; it is `nowTime`.
    error ClaimDeadlinePassed(uint256 deadline, uint256 nowTime);
    /// @notice The recovery path needs an audit proof signed by a registered auditor.
    error AuditProofRequired();
    /// @notice `signer` of the audit proof is not a registered auditor (or was removed).
    error NotAuditor(address signer);
    /// @notice The auditor `auditor` is one of the provider's own keys.
    error AuditorIsProviderKey(address auditor);
    /// @notice The audit proof names another incident or provider.
    error AuditProofMismatch();
    /// @notice The audit proof expired at `expiry`, or was issued at `issuedAt` before the incident or in the future.
    error AuditProofNotValid(uint256 issuedAt, uint256 expiry, uint256 nowTime);
    /// @notice The audit proof `digest` was already used by a claim.
    error AuditProofUsed(bytes32 digest);
    /// @notice A signature is malformed or malleable, at position `index`.
    error InvalidSignature(uint256 index);
    /// @notice `signer` is not a member of the committee in `epoch`.
    error NotCommitteeMember(address signer, uint64 epoch);
    /// @notice `signer` appears twice, or already approved this decision.
    error DuplicateSigner(address signer);
    /// @notice The message names committee epoch `given`; the current one is `current`.
    error StaleCommitteeEpoch(uint64 given, uint64 current);
    /// @notice No claim is being observed for `incidentId` (not filed, rejected or fully attested).
    error NotObserving(bytes32 incidentId);
    /// @notice The attestation is for observation epoch `given`; every epoch before `expected` is
    /// already attested or missed.
    error WrongObservationEpoch(uint256 given, uint256 expected);
    /// @notice Observation epoch `epoch` could be attested until `lastChance` (its end plus the
    /// attestation grace); it is `nowTime`. The epoch is missed: it neither vests nor resets.
    error EpochMissed(uint256 epoch, uint256 lastChance, uint256 nowTime);
    /// @notice The incident can still be appealed until `windowEnd` (its own copied appeal window);
    /// nothing releases or closes its escrow before then.
    error AppealWindowOpen(uint256 windowEnd, uint256 nowTime);
    /// @notice Observation epoch `epoch` ends at `endsAt`; it is `nowTime`.
    error ObservationEpochNotOver(uint256 epoch, uint256 endsAt, uint256 nowTime);
    /// @notice The attestation's observation time `observedAt` lies outside its epoch.
    error ObservationOutsideEpoch(uint256 observedAt);
    /// @notice The claim can no longer be rejected: its challenge window ended at `windowEnd`.
    error ChallengeWindowClosed(uint256 windowEnd, uint256 nowTime);
    /// @notice Nothing is payable now: `vested` vested, `released` paid, payable from `payableFrom`.
    error NothingToRelease(uint256 vested, uint256 released, uint256 payableFrom);
    /// @notice The final tranche needs the evaluation report to be recorded first.
    error EvaluationMissing(bytes32 incidentId);
    /// @notice The evaluation of `incidentId` is already recorded.
    error EvaluationAlreadyRecorded(bytes32 incidentId);
    /// @notice Releases wait while an appeal of `incidentId` is pending.
    error AppealPending(bytes32 incidentId);
    /// @notice Releases and default closes are paused by the guardian until `pausedUntil`.
    error ReleasesPaused(uint256 pausedUntil);
    /// @notice The escrow cannot be closed before `closableAt`; it is `nowTime`.
    error NotClosable(uint256 closableAt, uint256 nowTime);
    /// @notice The recovery of `incidentId` cannot complete while `remainder` is owed to it (see
    /// `IVerdictManager.collect`); it can after the maximum lifetime, when the remainder is written off.
    error RemainderOwed(bytes32 incidentId, uint256 remainder);
    /// @notice A recovery parameter is out of range.
    error InvalidParameter(string name);
    /// @notice The verdict contract is already connected.
    error AlreadyConnected();

    /* STRUCTS */

    /// @notice Status of one incident's escrow. Observing versus attested (in its challenge window) is
    /// derived from the vesting; see `stateOf`.
    enum EscrowStatus {
        None,
        /// Slashed stake held; no claim yet.
        Escrowed,
        /// A claim was filed: observation epochs are running or attested.
        Claimed,
        /// The committee rejected the last claim; it can be re-filed until the claim deadline.
        Rejected,
        /// Everything recoverable went back to the pool; the rest to the insurance pool.
        Released,
        /// Forfeited to the insurance pool (tombstone, no claim by the deadline, maximum lifetime).
        Forfeited,
        /// Returned in full to the pool: the verdict was overturned.
        Refunded
    }

    /// @notice Derived state of an escrow, for stakeholders.
    enum EscrowState {
        None,
        Escrowed,
        /// A claim is filed; observation epochs are being attested.
        Observing,
        /// Every required epoch passed; the challenge window runs (or ran) before the final release.
        Attested,
        Rejected,
        Released,
        Forfeited,
        Refunded
    }

    /// @notice Recovery parameters, one version per change, packed into one slot.
    struct RecoveryParams {
        /// Time after the slash during which a claim may be filed (and re-filed after a rejection).
        uint32 claimWindow;
        /// Length of an observation epoch.
        uint32 epochLength;
        /// Passing epochs in a row needed to vest everything recoverable.
        uint8 epochsRequired;
        /// Time after a tranche vests during which the committee may reject the claim; tranches are paid after it.
        uint32 challengeWindow;
        /// Time after the slash after which anyone may close the escrow by its default outcome.
        uint32 maxLifetime;
        /// True: a tranche vests per passing epoch. False: everything vests with the last epoch.
        bool graduated;
        /// Time after an observation epoch's end during which its attestation is accepted; after it
        /// the epoch is missed (neither vests nor resets). Shorter than an epoch.
        uint32 attestationGrace;
    }

    /// @notice One incident's escrow, packed into one slot. The provider is named by the verdict, which
    /// every entry point takes and checks against the executed digest.
    struct Escrow {
        /// Tokens slashed into this escrow.
        uint96 amount;
        /// Share of `amount` the provider can recover (copied from the matrix), basis points.
        uint16 recoverableBps;
        /// The `IVerdictManager.RecoveryPath` (copied from the matrix).
        uint8 recoveryPath;
        /// An `EscrowStatus`.
        uint8 status;
        /// Time the escrow was opened.
        uint40 openedAt;
        /// The version of the recovery parameters in force when the escrow was opened.
        uint16 paramsVersion;
        /// Whether the evaluation report (root-cause analysis) is recorded.
        bool evaluated;
        /// The pause-free clock (`block.timestamp - IVerdictManager.pausedTotal()`) at opening: the
        /// claim window and the maximum lifetime run on it, so a guardian pause extends them.
        uint40 openedClock;
    }

    /// @notice Progress of the claim on one escrow, packed into one slot (written from the claim on).
    struct Claim {
        /// Time the current claim was filed (the first observation epoch starts then).
        uint40 filedAt;
        /// Time the last passing epoch was attested (the challenge window of its tranche starts then).
        uint40 lastVestedAt;
        /// The first observation epoch not yet attested or missed.
        uint32 nextEpoch;
        /// Passing epochs in a row (a failing epoch resets it to zero).
        uint8 vestedEpochs;
        /// Tokens already paid back to the pool.
        uint96 released;
        /// The pause-free clock when the last passing epoch was attested: the challenge window runs on it.
        uint40 vestedClock;
    }

    /// @notice An auditor's signed statement that a provider remediated an incident (EIP-712).
    struct AuditProof {
        /// The incident audited.
        bytes32 incidentId;
        /// The provider audited.
        address provider;
        /// keccak256 of the audit report.
        bytes32 auditReportHash;
        /// keccak256 of the remediation (the fix, the new configuration).
        bytes32 remediationHash;
        /// Merkle root (OpenZeppelin-compatible) of the provider's log lines.
        bytes32 logsRoot;
        /// Time the proof was issued.
        uint64 issuedAt;
        /// Time after which the proof may not be used.
        uint64 expiry;
    }

    /// @notice The committee's attestation of one observation epoch (EIP-712).
    struct RestorationAttestation {
        /// The incident under recovery.
        bytes32 incidentId;
        /// The observation epoch (0-based, counted from the claim).
        uint32 observationEpoch;
        /// The committee epoch of the signers.
        uint64 committeeEpoch;
        /// Whether the node passed its health checks in the epoch.
        bool healthy;
        /// Whether the node passed its data-integrity challenges in the epoch.
        bool dataIntact;
        /// Time of the observation (inside the epoch).
        uint64 observedAt;
    }

    /* EVENTS */

    /// @notice `amount` slashed from `provider` is escrowed for `incidentId`.
    event EscrowOpened(bytes32 indexed incidentId, address indexed provider, uint256 amount, uint256 recoverableBps, uint8 recoveryPath);
    /// @notice The escrow of `incidentId` (`amount`) went back to the pool of `provider`.
    event EscrowRefunded(bytes32 indexed incidentId, address indexed provider, uint256 amount);
    /// @notice An upgrade of `incidentId` escrowed `amount` more under new terms (`total` held in all); a
    /// recovery claim in progress starts over (what was released stays released).
    event EscrowUpgraded(
        bytes32 indexed incidentId, address indexed provider, uint256 amount, uint256 total, uint256 recoverableBps, uint8 recoveryPath
    );
    /// @notice An overturned upgrade of `incidentId` returned `amount` to the pool; the escrow holds `total`
    /// under its terms from before the upgrade.
    event EscrowDowngraded(bytes32 indexed incidentId, address indexed provider, uint256 amount, uint256 total);
    /// @notice `amount` more (a collected remainder) was escrowed for `incidentId`; it now holds `total`.
    event EscrowAdded(bytes32 indexed incidentId, address indexed provider, uint256 amount, uint256 total);
    /// @notice The escrow of `incidentId` (`amount`) went to the insurance pool.
    event EscrowForfeited(bytes32 indexed incidentId, address indexed provider, uint256 amount);
    /// @notice `from` added `amount` to the insurance pool, now `balance`.
    event InsuranceDeposited(address indexed from, uint256 amount, uint256 balance);
    /// @notice Governance paid `amount` of the insurance pool to `to`; `balance` is left.
    event InsuranceSpent(address indexed to, uint256 amount, uint256 balance);
    /// @notice `auditor` is now registered (`registered`) or removed.
    event AuditorSet(address indexed auditor, bool registered);
    /// @notice The verdict contract `verdicts` is connected.
    event VerdictManagerSet(address indexed verdicts);
    /// @notice Observation epochs `firstMissed` to `firstMissed + count - 1` of `incidentId` passed
    /// without a quorum of attestations: they neither vested nor reset the vesting.
    event EpochsMissed(bytes32 indexed incidentId, uint256 firstMissed, uint256 count);
    /// @notice Recovery parameters `version` are in force for escrows opened from now on.
    event RecoveryParamsSet(uint16 indexed version, RecoveryParams params);
    /// @notice The operator of `provider` filed a claim for `incidentId`; observation epochs start now.
    /// `auditor` is zero when the path needs no audit proof.
    event ClaimFiled(
        bytes32 indexed incidentId,
        address indexed provider,
        address indexed auditor,
        bytes32 auditReportHash,
        bytes32 remediationHash,
        bytes32 logsRoot
    );
    /// @notice Observation epoch `epoch` of `incidentId` was attested; `vestedEpochs` in a row have passed.
    event EpochAttested(bytes32 indexed incidentId, uint256 indexed epoch, bool passed, uint256 vestedEpochs);
    /// @notice The committee rejected the claim on `incidentId` with `evidenceHash`.
    event ClaimRejected(bytes32 indexed incidentId, bytes32 evidenceHash);
    /// @notice The committee recorded the evaluation report `reportHash` of `incidentId`.
    event EvaluationRecorded(bytes32 indexed incidentId, bytes32 reportHash);
    /// @notice `amount` of the escrow of `incidentId` went back to the pool of `provider`; `released` in total.
    event TrancheReleased(bytes32 indexed incidentId, address indexed provider, uint256 amount, uint256 released);
    /// @notice The recovery of `incidentId` is complete: `released` back to the pool, `forfeited` to insurance.
    event RecoveryCompleted(bytes32 indexed incidentId, address indexed provider, uint256 released, uint256 forfeited);
    /// @notice A committee member approved `decision` (a rejection or an evaluation) of `incidentId`.
    event DecisionApproved(bytes32 indexed incidentId, bytes32 indexed decision, address indexed member, uint256 approvals);

    /* ESCROW (verdict contract) */

    /// @notice Records the escrow of `incidentId`: `amount` tokens already transferred here by the
    /// StakeManager. Only `VERDICT_ROLE`.
    function open(bytes32 incidentId, address provider, uint256 amount, uint16 recoverableBps, uint8 recoveryPath)
        external;

    /// @notice Returns what is left of the escrow of `incidentId` to the pool of `provider`. Only `APPEALS_ROLE`.
    function refund(bytes32 incidentId, address provider) external returns (uint256 amount);

    /// @notice Moves what is left of the escrow of `incidentId` of `provider` to the insurance pool. Only `APPEALS_ROLE`.
    function forfeit(bytes32 incidentId, address provider) external returns (uint256 amount);

    /// @notice Records an upgrade of `incidentId`: `amount` more tokens (already transferred here by the
    /// StakeManager), the new terms, and a claim in progress started over (the escrow's windows count from
    /// now). Opens the escrow when the incident had none (a warning upgraded). Only `APPEALS_ROLE`.
    function upgrade(bytes32 incidentId, address provider, uint256 amount, uint16 recoverableBps, uint8 recoveryPath)
        external;

    /// @notice Undoes an overturned upgrade of `incidentId`: returns up to `amount` of what the escrow still
    /// holds to the pool of `provider` and restores the terms (`toWarning`: the incident is a warning again,
    /// everything held goes back and the escrow ends refunded). Only `APPEALS_ROLE`.
    /// @return returned Tokens returned to the pool.
    function downgrade(
        bytes32 incidentId,
        address provider,
        uint256 amount,
        uint16 recoverableBps,
        uint8 recoveryPath,
        bool toWarning
    ) external returns (uint256 returned);

    /// @notice Records `amount` more tokens (a collected remainder, transferred here by the StakeManager) for
    /// `incidentId`: into its escrow while open, into the insurance pool once forfeited. Only `VERDICT_ROLE`.
    function add(bytes32 incidentId, address provider, uint256 amount) external;

    /// @notice Whether the incident can still take a remainder: its escrow is open or forfeited, and not past
    /// its maximum lifetime (pauses excluded), when what is still owed is written off.
    function acceptsMore(bytes32 incidentId) external view returns (bool);

    /* RECOVERY */

    /// @notice Files a recovery claim for the executed `verdict`, with an audit proof and its auditor's
    /// signature where the recovery path needs one (empty signature otherwise). Only the provider's
    /// operator key, before the claim deadline. Starts the observation epochs.
    function fileClaim(IVerdictManager.Verdict calldata verdict, AuditProof calldata proof, bytes calldata auditorSignature)
        external;

    /// @notice Records committee approvals of `attestation` (signatures of members of its committee epoch);
    /// at quorum the epoch counts: passed (both results true) vests a tranche, failed resets the vesting.
    /// @return applied Whether the attestation reached quorum in this call.
    function attest(RestorationAttestation calldata attestation, bytes[] calldata signatures)
        external
        returns (bool applied);

    /// @notice The caller, a committee member, approves rejecting the claim of `verdict`'s incident with
    /// `evidenceHash`; at quorum the claim is rejected (it may be re-filed until the claim deadline).
    function approveRejection(IVerdictManager.Verdict calldata verdict, bytes32 evidenceHash) external returns (bool rejected);

    /// @notice The caller, a committee member, approves recording `reportHash` as the evaluation report of
    /// `verdict`'s incident; at quorum it is recorded.
    function approveEvaluation(IVerdictManager.Verdict calldata verdict, bytes32 reportHash) external returns (bool recorded);

    /// @notice Pays the vested tranches whose challenge window has passed back into the provider's pool. The
    /// final tranche needs the evaluation and completes the recovery: the rest is forfeited, the pool
    /// unfrozen, the incident closed. Anyone may call; not while paused or while an appeal is pending.
    function release(IVerdictManager.Verdict calldata verdict) external returns (uint256 amount);

    /// @notice Closes an escrow by its default outcome: unclaimed after the claim deadline (while a remainder
    /// is owed, only after the maximum lifetime), or past its maximum lifetime, what was not released is
    /// forfeited, the pool unfrozen, the incident closed. Anyone;
    /// not while an appeal is pending, and never for a tombstoning incident (it ends with the tombstone).
    /// Not for a tombstoning incident (`NotRecoverable`): `IVerdictManager.finalizeTombstone` ends it.
    function close(IVerdictManager.Verdict calldata verdict) external returns (uint256 forfeited);

    /* INSURANCE */

    /// @notice Adds `amount` tokens from the caller to the insurance pool (forfeited appeal bonds).
    function depositInsurance(uint256 amount) external;

    /// @notice Pays `amount` of the insurance pool to `to`. Only `DEFAULT_ADMIN_ROLE`.
    function spendInsurance(address to, uint256 amount) external;

    /* GOVERNANCE */

    /// @notice Connects the verdict contract, once. Only `DEFAULT_ADMIN_ROLE`.
    function setVerdictManager(IVerdictManager verdicts) external;

    /// @notice Registers or removes `auditor`. Only `DEFAULT_ADMIN_ROLE`.
    function setAuditor(address auditor, bool registered) external;

    /// @notice Puts new recovery parameters in force for escrows opened from now on. Only `DEFAULT_ADMIN_ROLE`.
    function setRecoveryParams(RecoveryParams calldata params) external;

    /* VIEWS */

    /// @notice The escrow of `incidentId`.
    function escrowOf(bytes32 incidentId) external view returns (Escrow memory);

    /// @notice The claim progress of `incidentId`.
    function claimOf(bytes32 incidentId) external view returns (Claim memory);

    /// @notice The derived state of the escrow of `incidentId`.
    function stateOf(bytes32 incidentId) external view returns (EscrowState);

    /// @notice Tokens vested so far (paid or not) for `incidentId`.
    function vestedOf(bytes32 incidentId) external view returns (uint256);

    /// @notice Recovery parameters of `version`.
    function recoveryParams(uint16 version) external view returns (RecoveryParams memory);

    /// @notice The version in force for new escrows.
    function currentParamsVersion() external view returns (uint16);

    /// @notice Whether `auditor` is registered.
    function isAuditor(address auditor) external view returns (bool);

    /// @notice The Merkle root of the logs in the audit proof of `incidentId`'s claim.
    function logsRootOf(bytes32 incidentId) external view returns (bytes32);

    /// @notice Whether `logLine` is in the logs committed to by the audit proof of `incidentId`: the leaf is
    /// keccak256(bytes.concat(keccak256(logLine))) and `proof` an OpenZeppelin `MerkleProof` (sorted pairs).
    function verifyLogLine(bytes32 incidentId, bytes calldata logLine, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The EIP-712 digest an auditor signs for `proof`.
    function hashAuditProof(AuditProof calldata proof) external view returns (bytes32);

    /// @notice The EIP-712 digest committee members sign for `attestation`.
    function hashAttestation(RestorationAttestation calldata attestation) external view returns (bytes32);

    /// @notice Approval bitmap of an attestation digest or a decision id.
    function approvalsOf(bytes32 key) external view returns (uint256);

    /// @notice Tokens in the insurance pool.
    function insuranceBalance() external view returns (uint256);

    /// @notice Tokens in escrows not yet ended.
    function totalEscrowed() external view returns (uint256);

    /// @notice Seconds the current maximum lifetime leaves beyond the recovery path (claim window,
    /// required epochs, attestation grace, challenge window): the verdict contract's appeal window,
    /// appeal resolution and maximum pause must fit in it.
    function lifetimeSlack() external view returns (uint256);
}
