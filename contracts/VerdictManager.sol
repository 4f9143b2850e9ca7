// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IAppealCourt} from "./interfaces/IAppealCourt.sol";
import {IOracleCommittee} from "./interfaces/IOracleCommittee.sol";
import {IRecoveryEscrow} from "./interfaces/IRecoveryEscrow.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {IVerdictManager} from "./interfaces/IVerdictManager.sol";
import {CommitteeApprovals} from "./libraries/CommitteeApprovals.sol";

/// @title VerdictManager
/// @notice Signed verdicts with m-of-n quorum, the slashing matrix, escalation, caps, the guardian
/// pause and appeals. See {IVerdictManager}.
contract VerdictManager is IVerdictManager, AccessControl, EIP712, ReentrancyGuardTransient {
    bytes32 public constant APPEALS_ROLE = keccak256("APPEALS_ROLE");
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    bytes32 public constant ESCROW_ROLE = keccak256("ESCROW_ROLE");

    bytes32 private constant VERDICT_TYPEHASH = keccak256(
        "Verdict(bytes32 incidentId,address provider,uint8 violationClass,uint8 severity,bytes32 evidenceHash,uint64 observedAt,uint64 deadline,uint64 committeeEpoch)"
    );

    uint8 private constant FLAG_APPEAL_RESOLVED = 1;
    uint8 private constant FLAG_OVERTURNED = 2;
    uint8 private constant FLAG_CLOSED = 4;
    uint8 private constant FLAG_TOMBSTONE = 8;
    uint8 private constant FLAG_UPGRADED = 16;

    uint256 private constant BPS = 10_000;
    uint256 private constant CLASSES = 3;
    uint256 private constant LEVELS = 3;

    IStakeManager private immutable _stakeManager;
    IOracleCommittee private immutable _committee;
    IRecoveryEscrow private immutable _escrow;
    /// @dev Applies and judges upgrades (see {IAppealCourt-upgrade}).
    IAppealCourt private _court;

    Windows private _windows;
    Limits private _limits;

    /// @dev The last pause.
    uint40 private _pausedAt;
    uint40 private _pausedUntil;
    /// @dev Seconds of every pause before the last one.
    uint64 private _pausedBefore;
    /// @dev Until when a verdict signed under windows since replaced can still be overturned.
    uint40 private _lockFloor;
    /// @dev Cap use booked before this time no longer counts: set when `capWindow` changes (buckets of
    /// another length cannot be carried over), to the second after the change.
    uint40 private _capSince;

    mapping(uint256 violationClass => mapping(uint256 level => PenaltyRow)) private _matrix;
    mapping(bytes32 digest => uint256 bitmap) private _approvals;
    mapping(bytes32 incidentId => Incident) private _incidents;
    mapping(bytes32 incidentId => bytes32 digest) private _executedDigests;
    mapping(bytes32 incidentId => Owed) private _remainders;

    /// @dev A remainder still owed and what collects took of it so far.
    struct Owed {
        uint128 remainder;
        uint128 collected;
    }

    constructor(
        IStakeManager stakeManager_,
        IOracleCommittee committee_,
        IRecoveryEscrow escrow_,
        address admin,
        Windows memory windows_,
        Limits memory limits_,
        PenaltyRow[9] memory matrix
    ) EIP712("swarm-stake", "1") {
        _stakeManager = stakeManager_;
        _committee = committee_;
        _escrow = escrow_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setWindows(windows_);
        _setLimits(limits_);
        for (uint8 c; c < CLASSES; ++c) {
            for (uint8 l; l < LEVELS; ++l) {
                _setPenaltyRow(c, l, matrix[c * LEVELS + l]);
            }
        }
    }

    /* VERDICTS */

    /// @inheritdoc IVerdictManager
    function submit(Verdict calldata verdict, bytes[] calldata signatures)
        external
        nonReentrant
        returns (bool executed)
    {
        (bytes32 digest, uint16 threshold_) = _validate(verdict);
        uint256 bitmap = _approvals[digest];
        uint256 added;
        for (uint256 i; i < signatures.length; ++i) {
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, signatures[i]);
            if (error != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            uint256 bit = _seatBit(verdict.committeeEpoch, signer);
            if (added & bit != 0) revert DuplicateSigner(signer);
            added |= bit;
            if (bitmap & bit != 0) continue; // recorded by an earlier transaction
            bitmap |= bit;
            emit VerdictApproved(digest, verdict.incidentId, signer, CommitteeApprovals.count(bitmap));
        }
        return _record(verdict, digest, bitmap, threshold_, false);
    }

    /// @inheritdoc IVerdictManager
    function approve(Verdict calldata verdict) external nonReentrant returns (bool executed) {
        (bytes32 digest, uint16 threshold_) = _validate(verdict);
        uint256 bitmap = _approvals[digest];
        uint256 bit = _seatBit(verdict.committeeEpoch, msg.sender);
        if (bitmap & bit != 0) revert DuplicateSigner(msg.sender);
        bitmap |= bit;
        emit VerdictApproved(digest, verdict.incidentId, msg.sender, CommitteeApprovals.count(bitmap));
        return _record(verdict, digest, bitmap, threshold_, false);
    }

    /// @inheritdoc IVerdictManager
    function execute(Verdict calldata verdict) external nonReentrant {
        bytes32 digest = _hashVerdict(verdict);
        (uint64 epoch_,, uint16 threshold_) = _committee.config();
        if (verdict.committeeEpoch != epoch_) revert StaleCommitteeEpoch(verdict.committeeEpoch, epoch_);
        // Executed: its approvals may live in the incident only (see {Incident-approvals}).
        if (_incidents[verdict.incidentId].executedAt != 0) _checkUpgrade(verdict, digest);
        uint256 bitmap = _approvals[digest];
        uint256 approvals = CommitteeApprovals.count(bitmap);
        if (approvals < threshold_) revert QuorumNotReached(approvals, threshold_);
        _record(verdict, digest, bitmap, threshold_, true);
    }

    /// @dev Checks a verdict before any approval is recorded; returns its digest and the threshold.
    function _validate(Verdict calldata verdict) private view returns (bytes32 digest, uint16 threshold_) {
        uint64 epoch_;
        (epoch_,, threshold_) = _committee.config();
        if (verdict.committeeEpoch != epoch_) revert StaleCommitteeEpoch(verdict.committeeEpoch, epoch_);
        if (
            verdict.violationClass >= CLASSES || verdict.severity >= LEVELS
                || !_matrix[verdict.violationClass][verdict.severity].enabled
        ) revert SeverityNotApplicable(verdict.violationClass, verdict.severity);
        Windows memory w = _windows;
        bytes32 derived = _incidentIdOf(verdict.provider, verdict.violationClass, verdict.observedAt, w.bucketLength);
        if (verdict.incidentId != derived) revert IncidentIdMismatch(verdict.incidentId, derived);
        if (block.timestamp > verdict.deadline) revert VerdictDeadlinePassed(verdict.deadline, block.timestamp);
        if (verdict.observedAt > block.timestamp || block.timestamp - verdict.observedAt > w.maxVerdictAge) {
            revert ObservationOutOfRange(verdict.observedAt, block.timestamp);
        }
        uint256 latest = uint256(verdict.observedAt) + w.maxVerdictAge;
        if (verdict.deadline > latest) revert DeadlineTooFar(verdict.deadline, latest);
        digest = _hashVerdict(verdict);
        if (_incidents[verdict.incidentId].executedAt != 0) _checkUpgrade(verdict, digest);
    }

    /// @dev A verdict for an executed incident is an upgrade: another verdict, with a higher signed severity,
    /// while the incident is neither overturned nor closed (the court refuses an upgrade executed before).
    function _checkUpgrade(Verdict calldata verdict, bytes32 digest) private view {
        bytes32 incidentId = verdict.incidentId;
        Incident memory incident = _incidents[incidentId];
        if (digest == _executedDigests[incidentId]) revert IncidentAlreadyExecuted(incidentId);
        if (incident.flags & (FLAG_OVERTURNED | FLAG_CLOSED) != 0) revert NotUpgradable(incidentId);
        if (verdict.severity <= incident.severity) revert SeverityNotAbove(incidentId, verdict.severity, incident.severity);
    }

    /// @dev Executes on quorum when nothing defers it (`strict`, from {execute}: a pause reverts instead);
    /// otherwise stores the approvals. The one call site of {_execute}, so that it is compiled once.
    function _record(Verdict calldata verdict, bytes32 digest, uint256 bitmap, uint16 threshold_, bool strict)
        private
        returns (bool executed)
    {
        if (CommitteeApprovals.count(bitmap) >= threshold_) return _execute(verdict, digest, bitmap, strict);
        _keep(verdict.incidentId, digest, bitmap);
        return false;
    }

    /// @dev Stores the approvals of a verdict that is not executing; the first approval detects the incident
    /// (an empty submission must not mark it).
    function _keep(bytes32 incidentId, bytes32 digest, uint256 bitmap) private {
        _approvals[digest] = bitmap;
        Incident storage incident = _incidents[incidentId];
        if (incident.detectedAt == 0 && bitmap != 0) incident.detectedAt = uint40(block.timestamp);
    }

    /// @dev Applies the penalty of a verdict with quorum. Only a pause defers it: with `strict` it reverts,
    /// otherwise `VerdictDeferred` is emitted and false returned. Neither the caps nor another open
    /// incident can: the verdict isolates the provider now and owes what the caps cut short.
    function _execute(Verdict calldata verdict, bytes32 digest, uint256 bitmap, bool strict) private returns (bool) {
        IStakeManager.Caps memory caps = _caps();
        (IStakeManager.Offense memory offense, uint256 poolAssets, uint256 capLeft) = _checkExecutable(verdict, caps);
        uint256 pausedUntil_ = _pausedUntil;
        if (block.timestamp < pausedUntil_) {
            if (strict) revert ExecutionPaused(pausedUntil_);
            _keep(verdict.incidentId, digest, bitmap);
            emit VerdictDeferred(digest, verdict.incidentId, ExecutionPaused.selector);
            return false;
        }
        if (_incidents[verdict.incidentId].executedAt != 0) {
            _court.upgrade(verdict, digest, bitmap, poolAssets, capLeft);
            return true;
        }
        uint8 level = _escalate(verdict.violationClass, verdict.severity, offense);
        PenaltyRow memory row = _matrix[verdict.violationClass][level];
        uint256 slash = level == uint8(Level.Warning) ? 0 : poolAssets * row.slashBps / BPS;
        uint256 amount = Math.min(slash, capLeft);
        _apply(verdict, digest, bitmap, level, row, amount, slash - amount);
        return true;
    }

    /// @dev The checks that no waiting can cure (that the incident has not executed, every caller checked
    /// first); returns the provider's escalation record of the class, its pool's assets and what the caps
    /// let be slashed now.
    function _checkExecutable(Verdict calldata verdict, IStakeManager.Caps memory caps)
        private
        view
        returns (IStakeManager.Offense memory offense, uint256 poolAssets, uint256 capLeft)
    {
        uint256 executableUntil =
            uint256(verdict.deadline) + _windows.executionGrace + _pauseOverlap(verdict.observedAt);
        if (block.timestamp > executableUntil) revert ExecutionWindowPassed(executableUntil, block.timestamp);
        IStakeManager.Provider memory registration;
        bool jailed;
        (registration, poolAssets, capLeft, offense, jailed) =
            _stakeManager.verdictContext(verdict.provider, verdict.violationClass, verdict.observedAt, caps);
        if (!registration.registered || registration.tombstoned) revert ProviderNotSlashable(verdict.provider);
        // A jailed node is not expected to serve: poor performance observed inside a jail that stands and
        // had started by then is no offense (a jail imposed after it proves nothing about the observation).
        // An upgrade is exempt: its incident's first verdict passed this check, so such a jail is its own.
        if (
            verdict.violationClass == uint8(ViolationClass.PoorPerformance) && jailed
                && _incidents[verdict.incidentId].executedAt == 0
        ) {
            revert PoorPerformanceWhileJailed(verdict.provider, registration.jailedUntil);
        }
    }

    /// @dev Effects, events and interactions of an executed verdict.
    function _apply(
        Verdict calldata verdict,
        bytes32 digest,
        uint256 bitmap,
        uint8 level,
        PenaltyRow memory row,
        uint256 amount,
        uint256 owed
    ) private {
        Windows memory w = _windows;
        uint256 detectedAt = _incidents[verdict.incidentId].detectedAt;
        // Approvals that fit stay in the incident; others in their own slot (see {Incident-approvals}).
        bool fits = bitmap >> 24 == 0;
        if (!fits) _approvals[digest] = bitmap;
        _incidents[verdict.incidentId] = Incident({
            detectedAt: uint40(detectedAt == 0 ? block.timestamp : detectedAt),
            executedAt: uint40(block.timestamp),
            appealedAt: 0,
            level: level,
            violationClass: verdict.violationClass,
            flags: row.tombstone ? FLAG_TOMBSTONE : 0,
            appealWindow: w.appealWindow,
            appealResolution: w.appealResolution,
            approvals: fits ? uint24(bitmap) : 0,
            severity: verdict.severity,
            slashBps: row.slashBps
        });
        _executedDigests[verdict.incidentId] = digest;

        bool slashing = level != uint8(Level.Warning);
        uint256 jailedUntil = slashing ? block.timestamp + row.jailDuration : 0;
        _emitExecuted(verdict, digest, level, amount, jailedUntil);
        if (owed != 0) {
            _remainders[verdict.incidentId].remainder = uint128(owed);
            emit RemainderOwed(verdict.incidentId, verdict.provider, owed);
        }
        _penalize(verdict, amount, jailedUntil, level);
        if (slashing) _escrow.open(verdict.incidentId, verdict.provider, amount, row.recoverableBps, row.recoveryPath);
    }

    /// @dev The StakeManager's part of an execution: the incident enters the standing set (and, unless a
    /// warning, the pool is frozen, the provider jailed and `amount` slashed into the escrow).
    function _penalize(Verdict calldata verdict, uint256 amount, uint256 jailedUntil, uint8 level) private {
        _stakeManager.penalize(
            verdict.provider,
            amount,
            address(_escrow),
            IStakeManager.Standing({
                tag: bytes20(verdict.incidentId),
                at: uint40(block.timestamp),
                jailEnd: uint40(jailedUntil),
                level: level,
                violationClass: verdict.violationClass
            }),
            _caps()
        );
    }

    function _emitExecuted(Verdict calldata verdict, bytes32 digest, uint8 level, uint256 amount, uint256 jailedUntil)
        private
    {
        emit VerdictExecuted(verdict.incidentId, verdict.provider, digest, verdict, level, amount, jailedUntil);
    }

    /// @dev A repeat offense of the same class inside the look-back window escalates one level above the
    /// last; an escalated level whose row is disabled falls back to the nearest enabled row below it
    /// (the signed severity's row is enabled: {_validate} checked it).
    function _escalate(uint8 violationClass, uint8 severity, IStakeManager.Offense memory offense)
        private
        view
        returns (uint8 level)
    {
        level = severity;
        if (offense.at != 0 && block.timestamp - offense.at <= _windows.lookback) {
            uint8 escalated = offense.level + 1 < LEVELS ? offense.level + 1 : uint8(Level.Severe);
            while (escalated > level && !_matrix[violationClass][escalated].enabled) --escalated;
            if (escalated > level) level = escalated;
        }
    }

    /// @inheritdoc IVerdictManager
    function collect(Verdict calldata verdict) external nonReentrant returns (uint256 collected) {
        (bytes32 incidentId, Incident memory incident) = _executed(verdict);
        Owed memory debt = _remainders[incidentId];
        uint256 owed = debt.remainder;
        if (owed == 0) revert NothingOwed(incidentId);
        uint256 pausedUntil_ = _pausedUntil;
        if (block.timestamp < pausedUntil_) revert ExecutionPaused(pausedUntil_);
        address provider = verdict.provider;
        bool forfeited = incident.flags & FLAG_CLOSED != 0; // a tombstone forfeited the escrow
        if (!_escrow.acceptsMore(incidentId)) {
            // Past its maximum lifetime: what is still owed is written off.
            _clearRemainder(incidentId, provider, owed);
            if (forfeited) _stakeManager.unfreeze(provider);
            return 0;
        }
        IStakeManager.Caps memory caps = _caps();
        (IStakeManager.Provider memory registration, uint256 capLeft) = _stakeManager.slashingContext(provider, caps);
        // A tombstoned provider still owes what its standing tombstone verdict took short.
        if (!registration.registered) revert ProviderNotSlashable(provider);
        collected = Math.min(owed, capLeft);
        if (collected == 0) revert SlashRateCapExceeded(owed, 0);
        owed -= collected;
        _remainders[incidentId] = Owed(uint128(owed), uint128(debt.collected + collected));
        emit RemainderCollected(incidentId, provider, collected, owed);
        _stakeManager.take(provider, collected, address(_escrow), incidentId, caps);
        _escrow.add(incidentId, provider, collected);
        if (owed == 0 && forfeited) _stakeManager.unfreeze(provider);
    }

    /// @dev Cancels or writes off the remainder of `incidentId`.
    function _clearRemainder(bytes32 incidentId, address provider, uint256 owed) private {
        _remainders[incidentId].remainder = 0;
        emit RemainderCleared(incidentId, provider, owed);
    }

    /* APPEALS */

    /// @inheritdoc IVerdictManager
    function markAppealed(Verdict calldata verdict) external onlyRole(APPEALS_ROLE) returns (Incident memory incident) {
        bytes32 incidentId;
        (incidentId, incident) = _executed(verdict);
        if (incident.appealedAt != 0) revert AlreadyAppealed(incidentId);
        uint256 windowEnd = uint256(incident.executedAt) + incident.appealWindow;
        if (block.timestamp > windowEnd || incident.flags & FLAG_CLOSED != 0) {
            revert AppealWindowClosed(windowEnd, block.timestamp);
        }
        _incidents[incidentId].appealedAt = uint40(block.timestamp);
        emit IncidentAppealed(incidentId, verdict.provider);
    }

    /// @inheritdoc IVerdictManager
    function uphold(Verdict calldata verdict) external onlyRole(APPEALS_ROLE) returns (bool tombstone, bool owed) {
        (bytes32 incidentId, Incident memory incident) = _pendingAppeal(verdict);
        incident.flags |= FLAG_APPEAL_RESOLVED;
        _incidents[incidentId].flags = incident.flags;
        emit VerdictUpheld(incidentId, verdict.provider);
        // A tombstone also waits for the latest upgrade's appeal (`finalizeTombstone` then closes it).
        tombstone = incident.flags & FLAG_TOMBSTONE != 0 && _upgradeOver(incidentId, incident.flags);
        if (tombstone) owed = _closeTombstoned(verdict.provider, incidentId, incident);
    }

    /// @inheritdoc IVerdictManager
    function overturn(Verdict calldata verdict)
        external
        onlyRole(APPEALS_ROLE)
        returns (bool slashing, uint256 approvals)
    {
        (bytes32 incidentId, Incident memory incident) = _pendingAppeal(verdict);
        address provider = verdict.provider;
        _incidents[incidentId].flags = incident.flags | FLAG_APPEAL_RESOLVED | FLAG_OVERTURNED;
        slashing = incident.level != uint8(Level.Warning);
        Owed memory debt = _remainders[incidentId];
        if (debt.remainder != 0) _clearRemainder(incidentId, provider, debt.remainder);
        approvals = incident.approvals != 0 ? incident.approvals : _approvals[_executedDigests[incidentId]];
        emit VerdictOverturned(incidentId, provider);
        if (slashing) {
            uint256 upgraded = incident.flags & FLAG_UPGRADED != 0 ? _court.takenByUpgrades(incidentId) : 0;
            uint256 executed = _escrow.escrowOf(incidentId).amount - debt.collected - upgraded;
            _stakeManager.refundCaps(provider, incidentId, incident.executedAt, executed, type(uint256).max, _caps());
        }
        _stakeManager.unstand(provider, incidentId, true, false);
    }

    /// @inheritdoc IVerdictManager
    function closeTombstone(Verdict calldata verdict) external onlyRole(APPEALS_ROLE) returns (bool owed) {
        (bytes32 incidentId, Incident memory incident) = _executed(verdict);
        // An appeal of the verdict that was upheld closed the incident, unless an upgrade's appeal was open.
        if (
            incident.flags & FLAG_TOMBSTONE == 0 || incident.flags & FLAG_CLOSED != 0
                || (incident.appealedAt != 0 && incident.flags & FLAG_APPEAL_RESOLVED == 0)
                || !_upgradeOver(incidentId, incident.flags)
        ) revert NotFinalizable(incidentId);
        uint256 windowEnd = uint256(incident.executedAt) + incident.appealWindow;
        if (incident.appealedAt == 0 && block.timestamp <= windowEnd) revert AppealWindowOpen(windowEnd, block.timestamp);
        return _closeTombstoned(verdict.provider, incidentId, incident);
    }

    /// @inheritdoc IVerdictManager
    function closeIncident(bytes32 incidentId, address provider, bool recovered) external onlyRole(ESCROW_ROLE) {
        Incident storage incident = _incidents[incidentId];
        if (incident.executedAt == 0) revert UnknownIncident(incidentId);
        incident.flags |= FLAG_CLOSED;
        emit IncidentClosed(incidentId, provider);
        uint256 owed = _remainders[incidentId].remainder;
        if (owed != 0) _clearRemainder(incidentId, provider, owed);
        _stakeManager.unstand(provider, incidentId, false, !recovered);
    }

    /// @dev Closes a tombstoning incident (the appeal court then tombstones and forfeits); returns whether
    /// a remainder is still owed (the pool then stays frozen until {collect} settles it).
    function _closeTombstoned(address provider, bytes32 incidentId, Incident memory incident)
        private
        returns (bool owed)
    {
        _incidents[incidentId].flags = incident.flags | FLAG_CLOSED;
        emit IncidentTombstoned(incidentId, provider);
        emit IncidentClosed(incidentId, provider);
        owed = _remainders[incidentId].remainder != 0;
    }

    /// @dev The executed incident of `verdict`, checked against the stored digest.
    function _executed(Verdict calldata verdict) private view returns (bytes32 incidentId, Incident memory incident) {
        incidentId = verdict.incidentId;
        incident = _incidents[incidentId];
        if (incident.executedAt == 0) revert UnknownIncident(incidentId);
        if (_executedDigests[incidentId] != _hashVerdict(verdict)) revert VerdictMismatch(incidentId);
        if (incident.flags & FLAG_OVERTURNED != 0) revert NotFinalizable(incidentId);
    }

    function _pendingAppeal(Verdict calldata verdict) private view returns (bytes32 incidentId, Incident memory incident) {
        (incidentId, incident) = _executed(verdict);
        if (incident.appealedAt == 0 || incident.flags & FLAG_APPEAL_RESOLVED != 0) revert NoPendingAppeal(incidentId);
    }

    /// @inheritdoc IVerdictManager
    function restate(
        bytes32 incidentId,
        uint8 level,
        uint8 severity,
        uint16 slashBps,
        bool tombstone,
        uint256 remainder,
        uint256 collected
    ) external onlyRole(APPEALS_ROLE) {
        Incident storage incident = _incidents[incidentId];
        (incident.level, incident.severity, incident.slashBps) = (level, severity, slashBps);
        incident.flags = (incident.flags & ~FLAG_TOMBSTONE) | FLAG_UPGRADED | (tombstone ? FLAG_TOMBSTONE : 0);
        _remainders[incidentId] = Owed(uint128(remainder), uint128(collected));
    }

    /// @dev Whether the latest upgrade of an incident with `flags` is past appeal (none is).
    function _upgradeOver(bytes32 incidentId, uint8 flags) private view returns (bool) {
        return flags & FLAG_UPGRADED == 0 || _court.upgradeOver(incidentId);
    }

    /* GUARDIAN */

    /// @inheritdoc IVerdictManager
    function pause() external onlyRole(GUARDIAN_ROLE) {
        uint256 pausedUntil_ = _pausedUntil;
        if (block.timestamp < pausedUntil_) revert AlreadyPaused();
        if (_pausedAt != 0) {
            uint256 allowedFrom = pausedUntil_ + _windows.pauseCooldown;
            if (block.timestamp < allowedFrom) revert PauseCooldown(allowedFrom, block.timestamp);
            _pausedBefore += uint64(pausedUntil_ - _pausedAt);
        }
        uint256 until = block.timestamp + _windows.maxPause;
        _pausedAt = uint40(block.timestamp);
        _pausedUntil = uint40(until);
        emit Paused(msg.sender, until);
    }

    /// @inheritdoc IVerdictManager
    function unpause() external {
        if (!hasRole(GUARDIAN_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, GUARDIAN_ROLE);
        }
        if (block.timestamp >= _pausedUntil) revert NotPaused();
        _pausedUntil = uint40(block.timestamp);
        emit Unpaused(msg.sender);
    }

    /// @dev Seconds of the last pause that fell after `observedAt` (at most one pause can: see the cooldown rule).
    function _pauseOverlap(uint64 observedAt) private view returns (uint256) {
        uint256 start = _pausedAt > observedAt ? _pausedAt : observedAt;
        uint256 end = _pausedUntil < block.timestamp ? _pausedUntil : block.timestamp;
        return end > start ? end - start : 0;
    }

    /* GOVERNANCE */

    /// @inheritdoc IVerdictManager
    function setWindows(Windows calldata windows_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setWindows(windows_);
    }

    /// @inheritdoc IVerdictManager
    function setLimits(Limits calldata limits_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setLimits(limits_);
    }

    /// @inheritdoc IVerdictManager
    function setAppealCourt(IAppealCourt court) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(_court) != address(0)) revert AlreadyConnected();
        _court = court;
        emit AppealCourtSet(address(court));
    }

    /// @inheritdoc IVerdictManager
    function setPenaltyRow(uint8 violationClass, uint8 level, PenaltyRow calldata row)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setPenaltyRow(violationClass, level, row);
    }

    function _setWindows(Windows memory w) private {
        if (w.maxVerdictAge == 0) revert InvalidParameter("maxVerdictAge");
        if (w.appealWindow == 0) revert InvalidParameter("appealWindow");
        if (w.appealResolution == 0) revert InvalidParameter("appealResolution");
        if (w.bucketLength == 0) revert InvalidParameter("bucketLength");
        if (w.maxPause == 0) revert InvalidParameter("maxPause");
        // A verdict's life (observation to deadline plus grace plus one pause) overlaps at most one pause.
        if (uint256(w.pauseCooldown) < uint256(w.maxVerdictAge) + w.executionGrace + w.maxPause) {
            revert InvalidParameter("pauseCooldown");
        }
        uint256 window = _slashableWindow(w);
        uint256 unbonding = _stakeManager.unbondingPeriod();
        if (unbonding <= window) revert UnbondingTooShort(unbonding, window);
        uint256 needed = uint256(w.appealWindow) + w.appealResolution + w.maxPause;
        uint256 slack = _escrow.lifetimeSlack();
        if (slack < needed) revert LifetimeTooShort(slack, needed);
        // A verdict signed under the windows being replaced keeps the bond lock those windows owed.
        if (_windows.appealWindow != 0) {
            uint256 owed = block.timestamp + _bondLock(_windows);
            if (owed > _lockFloor) _lockFloor = uint40(owed);
        }
        _windows = w;
        emit WindowsSet(w);
    }

    function _setLimits(Limits memory l) private {
        if (l.rateCapBps == 0 || l.rateCapBps > BPS) revert InvalidParameter("rateCapBps");
        if (l.providerCapBps == 0 || l.providerCapBps > BPS) revert InvalidParameter("providerCapBps");
        if (l.capWindow == 0) revert InvalidParameter("capWindow");
        if (_limits.capWindow != 0 && l.capWindow != _limits.capWindow) _capSince = uint40(block.timestamp + 1);
        _limits = l;
        emit LimitsSet(l);
    }

    function _setPenaltyRow(uint8 violationClass, uint8 level, PenaltyRow memory row) private {
        if (violationClass >= CLASSES || level >= LEVELS) revert SeverityNotApplicable(violationClass, level);
        if (row.slashBps > BPS || row.recoverableBps > BPS) revert InvalidParameter("bps");
        if (row.recoveryPath > uint8(RecoveryPath.ComplianceVerification)) revert InvalidParameter("recoveryPath");
        if (row.enabled && level == uint8(Level.Warning) && (row.slashBps != 0 || row.tombstone)) {
            revert InvalidParameter("warning");
        }
        if (row.enabled && level != uint8(Level.Warning) && row.jailDuration == 0) {
            revert InvalidParameter("jailDuration");
        }
        _matrix[violationClass][level] = row;
        emit PenaltyRowSet(violationClass, level, row);
    }

    /* VIEWS */

    /// @inheritdoc IVerdictManager
    function hashVerdict(Verdict calldata verdict) external view returns (bytes32) {
        return _hashVerdict(verdict);
    }

    /// @inheritdoc IVerdictManager
    function approvalsOf(bytes32 digest) external view returns (uint256) {
        return _approvals[digest];
    }

    /// @inheritdoc IVerdictManager
    function getIncident(bytes32 incidentId) external view returns (Incident memory incident, bytes32 digest) {
        return (_incidents[incidentId], _executedDigests[incidentId]);
    }

    /// @inheritdoc IVerdictManager
    function upgradeOver(bytes32 incidentId) external view returns (bool) {
        return _upgradeOver(incidentId, _incidents[incidentId].flags);
    }

    /// @inheritdoc IVerdictManager
    function debtOf(bytes32 incidentId) external view returns (uint256 remainder, uint256 collected) {
        Owed memory debt = _remainders[incidentId];
        return (debt.remainder, debt.collected);
    }

    /// @inheritdoc IVerdictManager
    function capParams() external view returns (IStakeManager.Caps memory) {
        return _caps();
    }

    /// @inheritdoc IVerdictManager
    function remainderOf(bytes32 incidentId) external view returns (uint256) {
        return _remainders[incidentId].remainder;
    }

    /// @inheritdoc IVerdictManager
    function penaltyRow(uint8 violationClass, uint8 level) external view returns (PenaltyRow memory) {
        return _matrix[violationClass][level];
    }

    /// @inheritdoc IVerdictManager
    function windows() external view returns (Windows memory) {
        return _windows;
    }

    /// @inheritdoc IVerdictManager
    function limits() external view returns (Limits memory) {
        return _limits;
    }

    /// @inheritdoc IVerdictManager
    function pausedUntil() external view returns (uint256) {
        return _pausedUntil;
    }

    /// @inheritdoc IVerdictManager
    function pausedTotal() external view returns (uint256) {
        return _pausedBefore + _pauseOverlap(0);
    }

    /// @inheritdoc IVerdictManager
    function slashableWindow() external view returns (uint256) {
        return _slashableWindow(_windows);
    }

    /// @inheritdoc IVerdictManager
    function bondLockPeriod() external view returns (uint256) {
        uint256 period = _bondLock(_windows);
        uint256 floor = _lockFloor;
        return floor > block.timestamp + period ? floor - block.timestamp : period;
    }

    /* INTERNAL */

    /// @dev The cap parameters in force, as the StakeManager books them.
    function _caps() private view returns (IStakeManager.Caps memory) {
        Limits memory l = _limits;
        return IStakeManager.Caps(l.rateCapBps, l.providerCapBps, l.capWindow, _capSince);
    }

    function _hashVerdict(Verdict calldata verdict) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VERDICT_TYPEHASH, verdict)));
    }

    function _incidentIdOf(address provider, uint8 violationClass, uint64 observedAt, uint32 bucketLength)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(provider, violationClass, observedAt / bucketLength));
    }

    /// @dev Observation, deadline, grace and one pause, then the appeal window: how long after a
    /// failure its verdict can still take stake (see {IStakeManager-setUnbondingPeriod}).
    function _slashableWindow(Windows memory w) private pure returns (uint256) {
        return uint256(w.maxVerdictAge) + w.executionGrace + w.maxPause + w.appealWindow;
    }

    /// @dev Observation to the last moment an appeal of the verdict can be resolved.
    function _bondLock(Windows memory w) private pure returns (uint256) {
        return _slashableWindow(w) + w.appealResolution;
    }

    /// @dev The approval bit of `signer`'s seat in `epoch_`; reverts for non-members.
    function _seatBit(uint64 epoch_, address signer) private view returns (uint256 bit) {
        bit = CommitteeApprovals.seatBit(_committee, epoch_, signer);
        if (bit == 0) revert NotCommitteeMember(signer, epoch_);
    }
}
