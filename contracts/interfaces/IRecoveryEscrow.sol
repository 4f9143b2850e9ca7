// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRecoveryEscrow
/// @notice Holds what a verdict slashed, one escrow per incident, and the insurance pool.
/// @dev Roles and their powers:
/// - `VERDICT_ROLE` (the verdict contract) opens an escrow for an executed incident, refunds it to the
///   pool when the verdict is overturned, or forfeits it to the insurance pool when the provider is
///   tombstoned. It cannot send tokens anywhere else.
/// - `DEFAULT_ADMIN_ROLE` (the governance timelock) spends the insurance pool, for example as SLA credits.
/// Tokens held always equal the open escrows plus the insurance pool.
interface IRecoveryEscrow {
    /* ERRORS */

    /// @notice An amount argument was zero.
    error ZeroAmount();
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice An escrow for `incidentId` already exists.
    error EscrowExists(bytes32 incidentId);
    /// @notice `incidentId` has no open escrow.
    error EscrowNotOpen(bytes32 incidentId);
    /// @notice Spending `amount` exceeds the insurance pool's `available` balance.
    error InsufficientInsurance(uint256 amount, uint256 available);
    /// @notice The token moved `received` to the contract when `expected` was asked for.
    error TransferAmountMismatch(uint256 expected, uint256 received);

    /* STRUCTS */

    /// @notice Status of one incident's escrow.
    enum EscrowStatus {
        None,
        Escrowed,
        Refunded,
        Forfeited,
        Released
    }

    /// @notice One incident's escrow, packed into one slot. The provider is named by the verdict
    /// (the verdict contract passes it), so it is not stored here.
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
    }

    /* EVENTS */

    /// @notice `amount` slashed from `provider` is escrowed for `incidentId`.
    event EscrowOpened(bytes32 indexed incidentId, address indexed provider, uint256 amount, uint256 recoverableBps, uint8 recoveryPath);
    /// @notice The escrow of `incidentId` (`amount`) went back to the pool of `provider`.
    event EscrowRefunded(bytes32 indexed incidentId, address indexed provider, uint256 amount);
    /// @notice The escrow of `incidentId` (`amount`) went to the insurance pool.
    event EscrowForfeited(bytes32 indexed incidentId, address indexed provider, uint256 amount);
    /// @notice `from` added `amount` to the insurance pool, now `balance`.
    event InsuranceDeposited(address indexed from, uint256 amount, uint256 balance);
    /// @notice Governance paid `amount` of the insurance pool to `to`; `balance` is left.
    event InsuranceSpent(address indexed to, uint256 amount, uint256 balance);

    /* ESCROW */

    /// @notice Records the escrow of `incidentId`: `amount` tokens already transferred here by the
    /// StakeManager. Only `VERDICT_ROLE`.
    function open(bytes32 incidentId, address provider, uint256 amount, uint16 recoverableBps, uint8 recoveryPath)
        external;

    /// @notice Returns the whole escrow of `incidentId` to the pool of `provider`. Only `VERDICT_ROLE`.
    function refund(bytes32 incidentId, address provider) external returns (uint256 amount);

    /// @notice Moves the whole escrow of `incidentId` of `provider` to the insurance pool. Only `VERDICT_ROLE`.
    function forfeit(bytes32 incidentId, address provider) external returns (uint256 amount);

    /* INSURANCE */

    /// @notice Adds `amount` tokens from the caller to the insurance pool (forfeited appeal bonds).
    function depositInsurance(uint256 amount) external;

    /// @notice Pays `amount` of the insurance pool to `to`. Only `DEFAULT_ADMIN_ROLE`.
    function spendInsurance(address to, uint256 amount) external;

    /* VIEWS */

    /// @notice The escrow of `incidentId`.
    function escrowOf(bytes32 incidentId) external view returns (Escrow memory);

    /// @notice Tokens in the insurance pool.
    function insuranceBalance() external view returns (uint256);

    /// @notice Tokens in open escrows.
    function totalEscrowed() external view returns (uint256);
}
