// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAppealCourt} from "./interfaces/IAppealCourt.sol";
import {IOracleCommittee} from "./interfaces/IOracleCommittee.sol";
import {IRecoveryEscrow} from "./interfaces/IRecoveryEscrow.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {IVerdictManager} from "./interfaces/IVerdictManager.sol";
import {SafeDeposit} from "./libraries/SafeDeposit.sol";

/// @title AppealCourt
/// @notice Appeal bonds and the arbiter's decisions. See {IAppealCourt}.
contract AppealCourt is IAppealCourt, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    uint8 private constant FLAG_APPEAL_RESOLVED = 1;

    IERC20 private immutable _token;
    IStakeManager private immutable _stakeManager;
    IVerdictManager private immutable _verdicts;
    IRecoveryEscrow private immutable _escrow;
    IOracleCommittee private immutable _committee;

    mapping(bytes32 incidentId => Appeal) private _appeals;

    constructor(
        IERC20 token_,
        IStakeManager stakeManager_,
        IVerdictManager verdicts_,
        IRecoveryEscrow escrow_,
        IOracleCommittee committee_,
        address admin
    ) {
        if (
            address(token_) == address(0) || address(stakeManager_) == address(0) || address(verdicts_) == address(0)
                || address(escrow_) == address(0) || address(committee_) == address(0) || admin == address(0)
        ) revert ZeroAddress();
        _token = token_;
        _stakeManager = stakeManager_;
        _verdicts = verdicts_;
        _escrow = escrow_;
        _committee = committee_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IAppealCourt
    function appeal(IVerdictManager.Verdict calldata verdict) external nonReentrant {
        if (msg.sender != _stakeManager.getProvider(verdict.provider).operator) revert NotProviderOperator(msg.sender);
        IVerdictManager.Incident memory incident = _verdicts.markAppealed(verdict);
        uint96 bond = incident.level == uint8(IVerdictManager.Level.Warning) ? 0 : _verdicts.limits().appealBond;
        uint256 deadline = block.timestamp + incident.appealResolution;
        _appeals[verdict.incidentId] = Appeal({appellant: msg.sender, bond: bond});
        emit Appealed(verdict.incidentId, verdict.provider, msg.sender, bond, deadline);
        if (bond != 0) _pullExact(bond);
    }

    /// @inheritdoc IAppealCourt
    function resolveAppeal(IVerdictManager.Verdict calldata verdict, bool overturn)
        external
        onlyRole(ARBITER_ROLE)
        nonReentrant
    {
        (Appeal memory appeal_, uint256 deadline) = _pending(verdict.incidentId);
        if (block.timestamp > deadline) revert ResolutionDeadlinePassed(deadline, block.timestamp);
        if (overturn) {
            (uint256 returned, uint256 penalties) = _overturn(verdict);
            emit AppealOverturned(verdict.incidentId, appeal_.bond, returned, penalties);
            if (appeal_.bond != 0) _token.safeTransfer(appeal_.appellant, appeal_.bond);
        } else {
            emit AppealUpheld(verdict.incidentId, appeal_.bond);
            _uphold(verdict);
            if (appeal_.bond != 0) {
                _token.forceApprove(address(_escrow), appeal_.bond);
                _escrow.depositInsurance(appeal_.bond);
            }
        }
    }

    /// @inheritdoc IAppealCourt
    function finalizeAppeal(IVerdictManager.Verdict calldata verdict) external nonReentrant {
        (Appeal memory appeal_, uint256 deadline) = _pending(verdict.incidentId);
        if (block.timestamp <= deadline) revert ResolutionDeadlineNotReached(deadline, block.timestamp);
        emit AppealExpired(verdict.incidentId, appeal_.bond);
        _uphold(verdict);
        if (appeal_.bond != 0) _token.safeTransfer(appeal_.appellant, appeal_.bond);
    }

    /// @inheritdoc IAppealCourt
    function finalizeTombstone(IVerdictManager.Verdict calldata verdict) external nonReentrant {
        bool owed = _verdicts.closeTombstone(verdict);
        _tombstone(verdict, owed);
    }

    /// @dev An overturn: the verdict's effects undone and its signers penalized (into the wronged pool,
    /// still frozen by this incident; for a warning, which froze nothing, to the provider's owner key).
    function _overturn(IVerdictManager.Verdict calldata verdict) private returns (uint256 returned, uint256 penalties) {
        address provider = verdict.provider;
        (bool slashing, uint256 approvals) = _verdicts.overturn(verdict);
        if (slashing) {
            returned = _escrow.refund(verdict.incidentId, provider);
        }
        uint256 penalty = _verdicts.limits().oraclePenalty;
        for (uint256 seat; approvals != 0; ++seat) {
            if (approvals & 1 != 0) {
                address member = _committee.memberAt(verdict.committeeEpoch, seat);
                penalties += _committee.penalize(member, provider, penalty, slashing);
            }
            approvals >>= 1;
        }
        // The verdict manager has ended the overturned verdict's jail (the jails that stand remain).
        if (slashing) _stakeManager.unfreeze(provider);
    }

    function _uphold(IVerdictManager.Verdict calldata verdict) private {
        (bool tombstone, bool owed) = _verdicts.uphold(verdict);
        if (tombstone) _tombstone(verdict, owed);
    }

    /// @dev Tombstones the provider of a closed tombstoning incident and forfeits its escrow; the pool stays
    /// frozen while a remainder is `owed` (`IVerdictManager.collect` lets it go).
    function _tombstone(IVerdictManager.Verdict calldata verdict, bool owed) private {
        address provider = verdict.provider;
        // Another tombstoning incident may have tombstoned the provider already; this one must still end.
        if (!_stakeManager.getProvider(provider).tombstoned) _stakeManager.tombstone(provider);
        _escrow.forfeit(verdict.incidentId, provider);
        if (!owed) _stakeManager.unfreeze(provider);
    }

    /// @inheritdoc IAppealCourt
    function appealOf(bytes32 incidentId) external view returns (Appeal memory) {
        return _appeals[incidentId];
    }

    /// @inheritdoc IAppealCourt
    function deadlineOf(bytes32 incidentId) public view returns (uint256) {
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        return incident.appealedAt == 0 ? 0 : uint256(incident.appealedAt) + incident.appealResolution;
    }

    /// @dev The pending appeal of `incidentId` and its deadline; the VerdictManager's flag says whether
    /// it was resolved (it is set by `uphold` and `overturn`, both called from here).
    function _pending(bytes32 incidentId) private view returns (Appeal memory appeal_, uint256 deadline) {
        appeal_ = _appeals[incidentId];
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        if (appeal_.appellant == address(0) || incident.appealedAt == 0 || incident.flags & FLAG_APPEAL_RESOLVED != 0) {
            revert NoPendingAppeal(incidentId);
        }
        deadline = uint256(incident.appealedAt) + incident.appealResolution;
    }

    /// @dev Pulls `amount` from the caller and checks that exactly `amount` arrived.
    function _pullExact(uint256 amount) private {
        uint256 received = SafeDeposit.pull(_token, msg.sender, amount);
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }
}
