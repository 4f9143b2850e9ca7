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

    /* STRUCTS */

    /// @notice An appeal, packed into one slot. Its deadline and whether it is resolved are derived from
    /// the incident in the VerdictManager (appealed-at plus the copied resolution time; the resolved flag).
    struct Appeal {
        /// The operator key that appealed; it gets the bond back.
        address appellant;
        /// The bond posted (0 for a warning).
        uint96 bond;
    }

    /* EVENTS */

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

    /// @notice The appeal of `incidentId`.
    function appealOf(bytes32 incidentId) external view returns (Appeal memory);

    /// @notice The resolution deadline of the appeal of `incidentId` (0: never appealed).
    function deadlineOf(bytes32 incidentId) external view returns (uint256);
}
