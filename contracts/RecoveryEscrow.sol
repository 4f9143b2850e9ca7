// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IRecoveryEscrow} from "./interfaces/IRecoveryEscrow.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title RecoveryEscrow
/// @notice One escrow per incident and the insurance pool. See {IRecoveryEscrow}.
contract RecoveryEscrow is IRecoveryEscrow, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    bytes32 public constant VERDICT_ROLE = keccak256("VERDICT_ROLE");

    IERC20 private immutable _token;
    IStakeManager private immutable _stakeManager;

    uint128 private _insurance;
    uint128 private _escrowed;

    mapping(bytes32 incidentId => Escrow) private _escrows;

    constructor(IERC20 token_, IStakeManager stakeManager_, address admin) {
        if (address(token_) == address(0) || address(stakeManager_) == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        _token = token_;
        _stakeManager = stakeManager_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /* ESCROW */

    /// @inheritdoc IRecoveryEscrow
    function open(bytes32 incidentId, address provider, uint256 amount, uint16 recoverableBps, uint8 recoveryPath)
        external
        onlyRole(VERDICT_ROLE)
    {
        if (_escrows[incidentId].status != uint8(EscrowStatus.None)) revert EscrowExists(incidentId);
        _escrows[incidentId] = Escrow({
            amount: amount.toUint96(),
            recoverableBps: recoverableBps,
            recoveryPath: recoveryPath,
            status: uint8(EscrowStatus.Escrowed),
            openedAt: uint40(block.timestamp)
        });
        _escrowed += uint128(amount);
        emit EscrowOpened(incidentId, provider, amount, recoverableBps, recoveryPath);
    }

    /// @inheritdoc IRecoveryEscrow
    function refund(bytes32 incidentId, address provider)
        external
        onlyRole(VERDICT_ROLE)
        nonReentrant
        returns (uint256 amount)
    {
        Escrow storage escrow = _openEscrow(incidentId);
        amount = escrow.amount;
        escrow.status = uint8(EscrowStatus.Refunded);
        _escrowed -= uint128(amount);
        emit EscrowRefunded(incidentId, provider, amount);
        if (amount != 0) {
            _token.forceApprove(address(_stakeManager), amount);
            _stakeManager.returnStake(provider, amount);
        }
    }

    /// @inheritdoc IRecoveryEscrow
    function forfeit(bytes32 incidentId, address provider) external onlyRole(VERDICT_ROLE) returns (uint256 amount) {
        Escrow storage escrow = _openEscrow(incidentId);
        amount = escrow.amount;
        escrow.status = uint8(EscrowStatus.Forfeited);
        _escrowed -= uint128(amount);
        _insurance += uint128(amount);
        emit EscrowForfeited(incidentId, provider, amount);
    }

    /* INSURANCE */

    /// @inheritdoc IRecoveryEscrow
    function depositInsurance(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _insurance + amount;
        _insurance = balance.toUint128();
        emit InsuranceDeposited(msg.sender, amount, balance);
        uint256 balanceBefore = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }

    /// @inheritdoc IRecoveryEscrow
    function spendInsurance(address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 available = _insurance;
        if (amount > available) revert InsufficientInsurance(amount, available);
        _insurance = uint128(available - amount);
        emit InsuranceSpent(to, amount, available - amount);
        _token.safeTransfer(to, amount);
    }

    /* VIEWS */

    /// @inheritdoc IRecoveryEscrow
    function escrowOf(bytes32 incidentId) external view returns (Escrow memory) {
        return _escrows[incidentId];
    }

    /// @inheritdoc IRecoveryEscrow
    function insuranceBalance() external view returns (uint256) {
        return _insurance;
    }

    /// @inheritdoc IRecoveryEscrow
    function totalEscrowed() external view returns (uint256) {
        return _escrowed;
    }

    function _openEscrow(bytes32 incidentId) private view returns (Escrow storage escrow) {
        escrow = _escrows[incidentId];
        if (escrow.status != uint8(EscrowStatus.Escrowed)) revert EscrowNotOpen(incidentId);
    }
}
