// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerdictManager} from "./IVerdictManager.sol";

/// @title IAppealCourt
/// @notice Appeals of executed verdicts: the provider's operator key appeals within the appeal window
/// with a bond (none for a warning); the arbiter upholds or overturns before the resolution deadline;
/// an appeal left unresolved past its deadline counts as upheld, with the bond returned. The court
/// applies the consequences of every appeal outcome (an overturn refunds the escrow, unfreezes the pool
/// and penalizes the signers, while the verdict contract takes the verdict's jail and offense out of the
/// provider's standing set; a standing tombstoning verdict
/// tombstones the provider and forfeits its escrow), and finalizes tombstones no appeal stopped.
/// @dev Roles and their powers:
/// - `ARBITER_ROLE` (appointed through the governance timelock) resolves pending appeals. It cannot
///   slash, and it cannot touch a verdict that was not appealed.
/// - `DEFAULT_ADMIN_ROLE` (the governance timelock) appoints and removes arbiters.
/// Appeals are never paused.
interface IAppealCourt {
    /* ERRORS */

    /// @notice Only the provider's operator key may appeal.
    error NotProviderOperator(address caller);
    /// @notice The incident has no pending appeal in this court.
    error NoPendingAppeal(bytes32 incidentId);
    /// @notice The appeal had to be resolved by `deadline`; it is `nowTime`.
    error ResolutionDeadlinePassed(uint256 deadline, uint256 nowTime);
    /// @notice An unresolved appeal can be finalized after `deadline`; it is `nowTime`.
    error ResolutionDeadlineNotReached(uint256 deadline, uint256 nowTime);
    /// @notice The token moved `received` to the contract when `expected` was asked for.
    error TransferAmountMismatch(uint256 expected, uint256 received);
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice Only the VerdictManager applies upgrades.
    error NotVerdictManager(address caller);
    /// @notice This upgrade was applied before (the latest, or one overturned): it is not applied again.
    error UpgradeRefused(bytes32 incidentId);
    /// @notice The upgrade cannot be appealed: already appealed, past its window (`windowEnd`), overturned,
    /// or its incident overturned or closed.
    error UpgradeNotAppealable(bytes32 incidentId, uint256 windowEnd);

    /* STRUCTS */

    /// @notice An appeal, packed into one slot. Its deadline and whether it is resolved are derived from
    /// the incident in the VerdictManager (appealed-at plus the copied resolution time; the resolved flag).
    struct Appeal {
        /// The operator key that appealed; it gets the bond back.
        address appellant;
        /// The bond posted (0 for a warning).
        uint96 bond;
    }

    /// @notice The latest upgrade of an incident: an appealable step of its own, with what an overturn of
    /// it restores. An upgrade made while the latest is still appealable (in its window, or appealed and
    /// pending) joins it: one step, restoring the state before the first of them, judged as one.
    struct Upgrade {
        /// The digest of the upgrading verdict (the latest, when several joined the step).
        bytes32 digest;
        /// Time of the (latest) upgrade: the step's appeal window starts then.
        uint40 at;
        /// Time of the appeal of the step (0: none).
        uint40 appealedAt;
        /// Appeal window and resolution time copied at the upgrade.
        uint32 appealWindow;
        uint32 appealResolution;
        /// Whether the step's appeal was resolved, and whether it was overturned.
        bool resolved;
        bool overturned;
        /// Level, signed severity, slash rate and tombstone flag of the incident before the step.
        uint8 prevLevel;
        uint8 prevSeverity;
        uint16 prevSlashBps;
        bool prevTombstone;
        /// The escrow's terms before the step.
        uint16 prevRecoverableBps;
        uint8 prevRecoveryPath;
        /// The incident's jail end in the standing set before the step (0: it was a warning), and whether it
        /// was in the set (an incident settled early was not: an overturn of the step takes it out again).
        uint40 prevJailEnd;
        bool prevInSet;
        /// Tokens the step took at once, and the remainder it added.
        uint96 taken;
        uint96 owed;
        /// What collects had taken of the incident's remainders when the step began: later collects pay
        /// the step's remainder first.
        uint96 mark;
        /// What the steps that stood before this one took at once.
        uint96 takenBefore;
        /// The approvals of the upgrading verdict (bit i: seat i of its committee epoch).
        uint256 approvals;
    }

    /* EVENTS */

    /// @notice The verdict `digest` upgraded `incidentId` to `level`: `amount` more slashed into its escrow
    /// (the rest of the extra slash owed), the jail extended to `jailedUntil`, a recovery claim reset.
    event VerdictUpgraded(
        bytes32 indexed incidentId,
        address indexed provider,
        bytes32 indexed digest,
        IVerdictManager.Verdict verdict,
        uint8 level,
        uint256 amount,
        uint256 jailedUntil
    );
    /// @notice The upgrade `digest` of `incidentId` was overturned: the incident is back at `level`, the
    /// step's tokens (`returned`) back in the pool and what it left owed (`cancelled`) no longer owed.
    event UpgradeOverturned(
        bytes32 indexed incidentId, bytes32 indexed digest, uint8 level, uint256 returned, uint256 cancelled
    );

    /// @notice `appellant`, the operator of `provider`, appealed `incidentId` with `bond`; the arbiter
    /// has until `deadline`.
    event Appealed(
        bytes32 indexed incidentId, address indexed provider, address indexed appellant, uint256 bond, uint256 deadline
    );
    /// @notice The arbiter upheld the verdict of `incidentId`; `bondForfeited` went to the insurance pool.
    event AppealUpheld(bytes32 indexed incidentId, uint256 bondForfeited);
    /// @notice The arbiter overturned `incidentId`: `returned` from escrow and `penalties` from the signers'
    /// bonds went to the pool; `bondReturned` went back to the appellant.
    event AppealOverturned(bytes32 indexed incidentId, uint256 bondReturned, uint256 returned, uint256 penalties);
    /// @notice The appeal of `incidentId` was not resolved in time: upheld, `bondReturned` returned.
    event AppealExpired(bytes32 indexed incidentId, uint256 bondReturned);

    /* APPEALS */

    /// @notice Appeals an executed verdict within its appeal window. Only the provider's operator key; a
    /// slashing verdict needs the appeal bond approved to this contract.
    function appeal(IVerdictManager.Verdict calldata verdict) external;

    /// @notice Resolves a pending appeal before its deadline. Only `ARBITER_ROLE`.
    function resolveAppeal(IVerdictManager.Verdict calldata verdict, bool overturn) external;

    /// @notice Ends an appeal left unresolved past its deadline: upheld, bond returned. Anyone may call.
    function finalizeAppeal(IVerdictManager.Verdict calldata verdict) external;

    /// @notice Tombstones the provider and forfeits the escrow of a tombstoning verdict once its appeal
    /// window has passed without appeal (a remainder still owed keeps the pool frozen until collected or
    /// written off). Anyone may call.
    function finalizeTombstone(IVerdictManager.Verdict calldata verdict) external;

    /// @notice Applies an upgrade of an executed incident whose verdict reached quorum (see
    /// {IVerdictManager-submit}): the level becomes the higher of the incident's and the signed severity;
    /// the extra slash is the new row's rate on the pool assets recorded at first execution, less what the
    /// incident already assessed (`capLeft` of it moves now, the rest is owed); the jail extends to the new
    /// row's end; a warning that now slashes freezes the pool; a recovery claim starts over. Only the
    /// VerdictManager.
    function upgrade(
        IVerdictManager.Verdict calldata verdict,
        bytes32 digest,
        uint256 approvals,
        uint256 poolAssets,
        uint256 capLeft
    ) external;

    /// @notice The latest upgrade of `incidentId` (`at` 0: none).
    function upgradeOf(bytes32 incidentId) external view returns (Upgrade memory);

    /// @notice Whether the latest upgrade of `incidentId` is past appeal: none, overturned, past its window
    /// unappealed, or resolved.
    function upgradeOver(bytes32 incidentId) external view returns (bool);

    /// @notice Tokens the upgrades of `incidentId` that were not overturned took at once.
    function takenByUpgrades(bytes32 incidentId) external view returns (uint256);

    /// @notice The appeal of `incidentId` (of its latest upgrade: the key is
    /// `keccak256(abi.encode(incidentId, upgrade.prevSeverity))`).
    function appealOf(bytes32 incidentId) external view returns (Appeal memory);

    /// @notice The resolution deadline of the appeal of `incidentId` (0: never appealed).
    function deadlineOf(bytes32 incidentId) external view returns (uint256);
}
