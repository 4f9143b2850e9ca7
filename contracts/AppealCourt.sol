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
    uint8 private constant FLAG_OVERTURNED_INCIDENT = 2;
    uint8 private constant FLAG_CLOSED = 4;
    uint8 private constant FLAG_TOMBSTONE = 8;
    uint256 private constant BPS = 10_000;

    IERC20 private immutable _token;
    IStakeManager private immutable _stakeManager;
    IVerdictManager private immutable _verdicts;
    IRecoveryEscrow private immutable _escrow;
    IOracleCommittee private immutable _committee;

    mapping(bytes32 key => Appeal) private _appeals;
    mapping(bytes32 incidentId => Upgrade) private _upgrades;
    /// @dev Upgrades overturned on appeal: never applied again.
    mapping(bytes32 digest => bool) private _overturnedUpgrades;

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
        bytes32 key = verdict.incidentId;
        uint256 resolution;
        uint8 level;
        if (_isUpgrade(verdict)) {
            (key, level, resolution) = _markUpgradeAppealed(verdict);
        } else {
            IVerdictManager.Incident memory incident = _verdicts.markAppealed(verdict);
            (level, resolution) = (incident.level, incident.appealResolution);
        }
        uint96 bond = level == uint8(IVerdictManager.Level.Warning) ? 0 : _verdicts.limits().appealBond;
        uint256 deadline = block.timestamp + resolution;
        _appeals[key] = Appeal({appellant: msg.sender, bond: bond});
        emit Appealed(verdict.incidentId, verdict.provider, msg.sender, bond, deadline);
        if (bond != 0) _pullExact(bond);
    }

    /// @inheritdoc IAppealCourt
    function resolveAppeal(IVerdictManager.Verdict calldata verdict, bool overturn)
        external
        onlyRole(ARBITER_ROLE)
        nonReentrant
    {
        (Appeal memory appeal_, uint256 deadline, bool upgrade_) = _pending(verdict);
        if (block.timestamp > deadline) revert ResolutionDeadlinePassed(deadline, block.timestamp);
        if (overturn) {
            (uint256 returned, uint256 penalties) = upgrade_ ? _overturnUpgrade(verdict) : _overturn(verdict);
            emit AppealOverturned(verdict.incidentId, appeal_.bond, returned, penalties);
            if (appeal_.bond != 0) _token.safeTransfer(appeal_.appellant, appeal_.bond);
        } else {
            emit AppealUpheld(verdict.incidentId, appeal_.bond);
            _uphold(verdict, upgrade_);
            if (appeal_.bond != 0) {
                _token.forceApprove(address(_escrow), appeal_.bond);
                _escrow.depositInsurance(appeal_.bond);
            }
        }
    }

    /// @inheritdoc IAppealCourt
    function finalizeAppeal(IVerdictManager.Verdict calldata verdict) external nonReentrant {
        (Appeal memory appeal_, uint256 deadline, bool upgrade_) = _pending(verdict);
        if (block.timestamp <= deadline) revert ResolutionDeadlineNotReached(deadline, block.timestamp);
        emit AppealExpired(verdict.incidentId, appeal_.bond);
        _uphold(verdict, upgrade_);
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
        if (_upgrades[verdict.incidentId].digest != bytes32(0)) _voidUpgrades(verdict.incidentId, provider);
        penalties = _penalize(verdict.committeeEpoch, approvals, provider, slashing);
        // The verdict manager has ended the overturned verdict's jail (the jails that stand remain).
        if (slashing) _stakeManager.unfreeze(provider);
    }

    /// @dev Takes `penalty` from the bond of each signer in `approvals` (seats of `epoch`) for `provider`.
    function _penalize(uint64 epoch, uint256 approvals, address provider, bool slashing)
        private
        returns (uint256 penalties)
    {
        uint256 penalty = _verdicts.limits().oraclePenalty;
        for (uint256 seat; approvals != 0; ++seat) {
            if (approvals & 1 != 0) {
                address member = _committee.memberAt(epoch, seat);
                penalties += _committee.penalize(member, provider, penalty, slashing);
            }
            approvals >>= 1;
        }
    }

    /// @dev An upheld verdict (a tombstone then follows once every appeal of the incident is over) or an
    /// upheld upgrade (the tombstone it brings is then finalized by {finalizeTombstone}).
    function _uphold(IVerdictManager.Verdict calldata verdict, bool upgrade_) private {
        if (upgrade_) {
            _upgrades[verdict.incidentId].resolved = true;
            return;
        }
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

    /* UPGRADES */

    /// @inheritdoc IAppealCourt
    function upgrade(
        IVerdictManager.Verdict calldata verdict,
        bytes32 digest,
        uint256 approvals,
        uint256 poolAssets,
        uint256 capLeft
    ) external nonReentrant {
        if (msg.sender != address(_verdicts)) revert NotVerdictManager(msg.sender);
        bytes32 incidentId = verdict.incidentId;
        Upgrade memory step = _upgrades[incidentId];
        if (digest == step.digest || _overturnedUpgrades[digest]) revert UpgradeRefused(incidentId);
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        uint8 level = verdict.severity > incident.level ? verdict.severity : incident.level;
        IVerdictManager.PenaltyRow memory row = _verdicts.penaltyRow(verdict.violationClass, level);
        bool fresh = step.at == 0 || _over(step);
        uint256 amount = _assess(verdict, incident, row, step, fresh, poolAssets, capLeft);
        IVerdictManager.Windows memory w = _verdicts.windows();
        (step.digest, step.at, step.appealWindow, step.appealResolution, step.approvals) =
            (digest, uint40(block.timestamp), w.appealWindow, w.appealResolution, approvals);
        _applyUpgrade(verdict, incident, row, level, step, fresh, amount);
    }

    /// @dev What an upgrade takes now (what the caps let move of its extra slash; the rest is owed), with
    /// the incident restated: the extra slash is the new row's rate on the base (the pool assets recorded at
    /// first execution: what the incident assessed, over its rate; the pool now for a warning, which assessed
    /// nothing), less what the incident assessed. A `fresh` step first records what its overturn restores.
    function _assess(
        IVerdictManager.Verdict calldata verdict,
        IVerdictManager.Incident memory incident,
        IVerdictManager.PenaltyRow memory row,
        Upgrade memory step,
        bool fresh,
        uint256 poolAssets,
        uint256 capLeft
    ) private returns (uint256 amount) {
        (uint256 remainder, uint256 collected) = _verdicts.debtOf(verdict.incidentId);
        IRecoveryEscrow.Escrow memory escrow = _escrow.escrowOf(verdict.incidentId);
        if (fresh) _newStep(incident, escrow, collected, step);
        uint256 extra = _extraSlash(incident, row, escrow.amount + remainder, poolAssets);
        amount = extra < capLeft ? extra : capLeft;
        step.owed += uint96(extra - amount);
        step.taken += uint96(amount);
        _restate(verdict, incident, row, remainder + extra - amount, collected);
    }

    /// @dev The new row's rate on the base, less what the incident assessed (`assessed`, unless a warning).
    function _extraSlash(
        IVerdictManager.Incident memory incident,
        IVerdictManager.PenaltyRow memory row,
        uint256 assessed,
        uint256 poolAssets
    ) private pure returns (uint256) {
        if (incident.level == uint8(IVerdictManager.Level.Warning)) assessed = 0;
        uint256 base = incident.slashBps == 0 ? poolAssets : assessed * BPS / incident.slashBps;
        uint256 target = base * row.slashBps / BPS;
        return target > assessed ? target - assessed : 0;
    }

    function _restate(
        IVerdictManager.Verdict calldata verdict,
        IVerdictManager.Incident memory incident,
        IVerdictManager.PenaltyRow memory row,
        uint256 remainder,
        uint256 collected
    ) private {
        _verdicts.restate(
            verdict.incidentId,
            verdict.severity > incident.level ? verdict.severity : incident.level,
            verdict.severity,
            row.slashBps,
            row.tombstone || incident.flags & FLAG_TOMBSTONE != 0,
            remainder,
            collected
        );
    }

    /// @dev The upgrade's jail (a warning that now jails freezes the pool), its record, its event, its tokens
    /// into the escrow and the escrow's new terms.
    function _applyUpgrade(
        IVerdictManager.Verdict calldata verdict,
        IVerdictManager.Incident memory incident,
        IVerdictManager.PenaltyRow memory row,
        uint8 level,
        Upgrade memory step,
        bool fresh,
        uint256 amount
    ) private {
        bytes32 incidentId = verdict.incidentId;
        uint40 jailEnd = uint40(block.timestamp + row.jailDuration);
        (uint40 previousJail, bool found) = _stakeManager.restand(
            verdict.provider,
            IStakeManager.Standing(bytes20(incidentId), incident.executedAt, jailEnd, level, verdict.violationClass),
            true,
            incident.level == uint8(IVerdictManager.Level.Warning)
        );
        if (fresh) (step.prevJailEnd, step.prevInSet) = (previousJail, found);
        _upgrades[incidentId] = step;
        emit VerdictUpgraded(
            incidentId, verdict.provider, step.digest, verdict, level, amount, previousJail > jailEnd ? previousJail : jailEnd
        );
        if (amount != 0) {
            _stakeManager.take(
                verdict.provider, amount, address(_escrow), _stepKey(incidentId, step.prevSeverity), _verdicts.capParams()
            );
        }
        _escrow.upgrade(incidentId, verdict.provider, amount, row.recoverableBps, row.recoveryPath);
    }

    /// @dev Makes `step` (the latest upgrade's record, or none) a new step: what its overturn restores, and
    /// what the steps that stood before it took.
    function _newStep(
        IVerdictManager.Incident memory incident,
        IRecoveryEscrow.Escrow memory escrow,
        uint256 collected,
        Upgrade memory step
    ) private pure {
        uint96 takenBefore = step.takenBefore + (step.overturned ? 0 : step.taken);
        (step.appealedAt, step.resolved, step.overturned, step.taken, step.owed) = (0, false, false, 0, 0);
        step.prevLevel = incident.level;
        step.prevSeverity = incident.severity;
        step.prevSlashBps = incident.slashBps;
        step.prevTombstone = incident.flags & FLAG_TOMBSTONE != 0;
        (step.prevRecoverableBps, step.prevRecoveryPath) = (escrow.recoverableBps, escrow.recoveryPath);
        (step.mark, step.takenBefore) = (uint96(collected), takenBefore);
    }

    /// @dev Marks the latest upgrade of `verdict`'s incident appealed; returns the appeal's key, the level in
    /// force and the resolution time.
    function _markUpgradeAppealed(IVerdictManager.Verdict calldata verdict)
        private
        returns (bytes32 key, uint8 level, uint256 resolution)
    {
        bytes32 incidentId = verdict.incidentId;
        Upgrade storage step = _upgrades[incidentId];
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        uint256 windowEnd = uint256(step.at) + step.appealWindow;
        if (
            step.overturned || step.appealedAt != 0 || block.timestamp > windowEnd
                || incident.flags & (FLAG_OVERTURNED_INCIDENT | FLAG_CLOSED) != 0
        ) revert UpgradeNotAppealable(incidentId, windowEnd);
        step.appealedAt = uint40(block.timestamp);
        return (_stepKey(incidentId, step.prevSeverity), incident.level, step.appealResolution);
    }

    /// @dev Overturns the latest upgrade of `verdict`'s incident: the incident as it was before the step
    /// (level, severity, rate, tombstone flag, jail, escrow terms), the step's tokens (what it took, and the
    /// collects that paid what it left owed: collects pay the newest debt first) back to the pool, what it
    /// still left owed cancelled, its cap use refunded, its signers penalized into the pool.
    function _overturnUpgrade(IVerdictManager.Verdict calldata verdict)
        private
        returns (uint256 returned, uint256 penalties)
    {
        bytes32 incidentId = verdict.incidentId;
        address provider = verdict.provider;
        Upgrade memory step = _upgrades[incidentId];
        (_upgrades[incidentId].resolved, _upgrades[incidentId].overturned) = (true, true);
        _overturnedUpgrades[step.digest] = true;
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        (uint256 remainder, uint256 collected) = _verdicts.debtOf(incidentId);
        uint256 paid = collected - step.mark < step.owed ? collected - step.mark : step.owed;
        uint256 cancelled = step.owed - paid < remainder ? step.owed - paid : remainder;
        _verdicts.restate(
            incidentId,
            step.prevLevel,
            step.prevSeverity,
            step.prevSlashBps,
            step.prevTombstone,
            remainder - cancelled,
            collected - paid
        );
        IStakeManager.Caps memory caps = _verdicts.capParams();
        _stakeManager.refundCaps(provider, _stepKey(incidentId, step.prevSeverity), 0, 0, type(uint256).max, caps);
        if (paid != 0) _stakeManager.refundCaps(provider, incidentId, 0, 0, paid, caps);
        if (step.prevInSet) {
            _stakeManager.restand(
                provider,
                IStakeManager.Standing(
                    bytes20(incidentId), incident.executedAt, step.prevJailEnd, step.prevLevel, incident.violationClass
                ),
                false,
                false
            );
        } else {
            // Settled early before the step: its offense and jail stand in the record; the step's entry goes.
            _stakeManager.unstand(provider, incidentId, true, false);
        }
        bool toWarning = step.prevLevel == uint8(IVerdictManager.Level.Warning);
        returned = _escrow.downgrade(
            incidentId, provider, step.taken + paid, step.prevRecoverableBps, step.prevRecoveryPath, toWarning
        );
        emit UpgradeOverturned(incidentId, step.digest, step.prevLevel, returned, cancelled);
        penalties = _penalize(verdict.committeeEpoch, step.approvals, provider, true);
        if (toWarning) _stakeManager.unfreeze(provider);
    }

    /// @dev The incident's verdict was overturned: its upgrades go with it (the escrow refunded them): their
    /// cap use is refunded, and a pending appeal of the latest ends with its bond returned.
    function _voidUpgrades(bytes32 incidentId, address provider) private {
        Upgrade memory step = _upgrades[incidentId];
        (_upgrades[incidentId].resolved, _upgrades[incidentId].overturned) = (true, true);
        IStakeManager.Caps memory caps = _verdicts.capParams();
        // A step that stood was followed by one from a higher severity: every key up to the latest's.
        for (uint8 severity; severity <= step.prevSeverity; ++severity) {
            _stakeManager.refundCaps(provider, _stepKey(incidentId, severity), 0, 0, type(uint256).max, caps);
        }
        if (step.appealedAt != 0 && !step.resolved) {
            bytes32 key = _stepKey(incidentId, step.prevSeverity);
            Appeal memory appeal_ = _appeals[key];
            emit AppealExpired(incidentId, appeal_.bond);
            if (appeal_.bond != 0) _token.safeTransfer(appeal_.appellant, appeal_.bond);
        }
    }

    /// @dev Whether `verdict` is the latest upgrade of its incident (else it is taken as its executed verdict).
    function _isUpgrade(IVerdictManager.Verdict calldata verdict) private view returns (bool) {
        bytes32 digest = _upgrades[verdict.incidentId].digest;
        return digest != bytes32(0) && digest == _verdicts.hashVerdict(verdict);
    }

    /// @dev Whether `step` can no longer be appealed, nor has an appeal pending.
    function _over(Upgrade memory step) private view returns (bool) {
        return step.appealedAt == 0 ? block.timestamp > uint256(step.at) + step.appealWindow : step.resolved;
    }

    /// @dev The key of an incident's upgrade step that started from `prevSeverity`: its appeal's key, and the
    /// key its slashes are booked under on the caps (a step that stands is followed by one from a higher
    /// severity; an overturned one leaves nothing booked under its key).
    function _stepKey(bytes32 incidentId, uint8 prevSeverity) private pure returns (bytes32) {
        return keccak256(abi.encode(incidentId, prevSeverity));
    }

    /// @inheritdoc IAppealCourt
    function upgradeOf(bytes32 incidentId) external view returns (Upgrade memory) {
        return _upgrades[incidentId];
    }

    /// @inheritdoc IAppealCourt
    function upgradeOver(bytes32 incidentId) external view returns (bool) {
        Upgrade memory step = _upgrades[incidentId];
        return step.at == 0 || step.overturned || _over(step);
    }

    /// @inheritdoc IAppealCourt
    function takenByUpgrades(bytes32 incidentId) external view returns (uint256) {
        Upgrade memory step = _upgrades[incidentId];
        return step.takenBefore + (step.overturned ? 0 : step.taken);
    }

    /* VIEWS */

    /// @inheritdoc IAppealCourt
    function appealOf(bytes32 incidentId) external view returns (Appeal memory) {
        return _appeals[incidentId];
    }

    /// @inheritdoc IAppealCourt
    function deadlineOf(bytes32 incidentId) public view returns (uint256) {
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        return incident.appealedAt == 0 ? 0 : uint256(incident.appealedAt) + incident.appealResolution;
    }

    /// @dev The pending appeal of `verdict` (an executed verdict, or the latest upgrade: `upgrade_`) and its
    /// deadline; the VerdictManager's flag (this court's, for an upgrade) says whether it was resolved.
    function _pending(IVerdictManager.Verdict calldata verdict)
        private
        view
        returns (Appeal memory appeal_, uint256 deadline, bool upgrade_)
    {
        bytes32 incidentId = verdict.incidentId;
        upgrade_ = _isUpgrade(verdict);
        uint256 appealedAt;
        bool resolved;
        if (upgrade_) {
            Upgrade memory step = _upgrades[incidentId];
            appeal_ = _appeals[_stepKey(incidentId, step.prevSeverity)];
            (appealedAt, resolved, deadline) = (step.appealedAt, step.resolved, step.appealResolution);
        } else {
            appeal_ = _appeals[incidentId];
            (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
            (appealedAt, resolved, deadline) =
                (incident.appealedAt, incident.flags & FLAG_APPEAL_RESOLVED != 0, incident.appealResolution);
        }
        if (appeal_.appellant == address(0) || appealedAt == 0 || resolved) revert NoPendingAppeal(incidentId);
        deadline += appealedAt;
    }

    /// @dev Pulls `amount` from the caller and checks that exactly `amount` arrived.
    function _pullExact(uint256 amount) private {
        uint256 received = SafeDeposit.pull(_token, msg.sender, amount);
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }
}
