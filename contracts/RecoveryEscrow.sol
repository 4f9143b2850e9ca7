// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IOracleCommittee} from "./interfaces/IOracleCommittee.sol";
import {IRecoveryEscrow} from "./interfaces/IRecoveryEscrow.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {IVerdictManager} from "./interfaces/IVerdictManager.sol";
import {CommitteeApprovals} from "./libraries/CommitteeApprovals.sol";
import {SafeDeposit} from "./libraries/SafeDeposit.sol";

/// @title RecoveryEscrow
/// @notice One escrow per incident, the recovery claim that earns it back, and the insurance pool.
/// See {IRecoveryEscrow}.
contract RecoveryEscrow is IRecoveryEscrow, AccessControl, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    bytes32 public constant VERDICT_ROLE = keccak256("VERDICT_ROLE");
    bytes32 public constant APPEALS_ROLE = keccak256("APPEALS_ROLE");

    bytes32 public constant AUDIT_PROOF_TYPEHASH = keccak256(
        "AuditProof(bytes32 incidentId,address provider,bytes32 auditReportHash,bytes32 remediationHash,bytes32 logsRoot,uint64 issuedAt,uint64 expiry)"
    );
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "RestorationAttestation(bytes32 incidentId,uint32 observationEpoch,uint64 committeeEpoch,bool healthy,bool dataIntact,uint64 observedAt)"
    );

    uint256 private constant BPS = 10_000;
    /// @dev `IVerdictManager.Incident.flags` bit of a tombstoning incident (VerdictManager.FLAG_TOMBSTONE).
    uint8 private constant FLAG_APPEAL_RESOLVED = 1;
    uint8 private constant FLAG_TOMBSTONE = 8;
    /// @dev `IVerdictManager.Incident.flags` bit of an upgraded incident (VerdictManager.FLAG_UPGRADED).
    uint8 private constant FLAG_UPGRADED = 16;

    IERC20 private immutable _token;
    IStakeManager private immutable _stakeManager;
    IOracleCommittee private immutable _committee;
    IVerdictManager private _verdicts;

    uint128 private _insurance;
    uint128 private _escrowed;
    uint16 private _paramsVersion;

    mapping(uint16 version => RecoveryParams) private _params;
    mapping(bytes32 incidentId => Escrow) private _escrows;
    mapping(bytes32 incidentId => Claim) private _claims;
    mapping(bytes32 incidentId => bytes32 root) private _logsRoots;
    mapping(bytes32 digest => bool) private _usedProofs;
    mapping(bytes32 key => uint256 bitmap) private _approvals;
    mapping(address auditor => bool) private _auditors;

    constructor(
        IERC20 token_,
        IStakeManager stakeManager_,
        IOracleCommittee committee_,
        address admin,
        RecoveryParams memory params
    ) EIP712("swarm-stake", "1") {
        if (
            address(token_) == address(0) || address(stakeManager_) == address(0)
                || address(committee_) == address(0) || admin == address(0)
        ) revert ZeroAddress();
        _token = token_;
        _stakeManager = stakeManager_;
        _committee = committee_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setRecoveryParams(params);
    }

    /* ESCROW (verdict contract) */

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
            openedAt: uint40(block.timestamp),
            paramsVersion: _paramsVersion,
            evaluated: false,
            openedClock: uint40(block.timestamp - _verdicts.pausedTotal())
        });
        _escrowed += uint128(amount);
        emit EscrowOpened(incidentId, provider, amount, recoverableBps, recoveryPath);
    }

    /// @inheritdoc IRecoveryEscrow
    function refund(bytes32 incidentId, address provider)
        external
        onlyRole(APPEALS_ROLE)
        nonReentrant
        returns (uint256 amount)
    {
        amount = _end(incidentId, EscrowStatus.Refunded);
        emit EscrowRefunded(incidentId, provider, amount);
        _returnToPool(provider, amount);
    }

    /// @inheritdoc IRecoveryEscrow
    function forfeit(bytes32 incidentId, address provider) external onlyRole(APPEALS_ROLE) returns (uint256 amount) {
        amount = _end(incidentId, EscrowStatus.Forfeited);
        _insurance += uint128(amount);
        emit EscrowForfeited(incidentId, provider, amount);
    }

    /// @inheritdoc IRecoveryEscrow
    function upgrade(bytes32 incidentId, address provider, uint256 amount, uint16 recoverableBps, uint8 recoveryPath)
        external
        onlyRole(APPEALS_ROLE)
    {
        Escrow memory escrow = _escrows[incidentId];
        uint256 released = _claims[incidentId].released;
        if (escrow.status == uint8(EscrowStatus.None) || escrow.status == uint8(EscrowStatus.Refunded)) {
            (escrow.amount, escrow.paramsVersion, escrow.evaluated, released) = (0, _paramsVersion, false, 0);
        } else {
            _requireOpen(incidentId, escrow.status);
        }
        escrow.amount = (escrow.amount + amount).toUint96();
        (escrow.recoverableBps, escrow.recoveryPath, escrow.status) =
            (recoverableBps, recoveryPath, uint8(EscrowStatus.Escrowed));
        (escrow.openedAt, escrow.openedClock) = (uint40(block.timestamp), uint40(block.timestamp - _verdicts.pausedTotal()));
        _escrows[incidentId] = escrow;
        _claims[incidentId] = Claim(0, 0, 0, 0, uint96(released), 0);
        _escrowed += uint128(amount);
        emit EscrowUpgraded(incidentId, provider, amount, escrow.amount, recoverableBps, recoveryPath);
    }

    /// @inheritdoc IRecoveryEscrow
    function downgrade(
        bytes32 incidentId,
        address provider,
        uint256 amount,
        uint16 recoverableBps,
        uint8 recoveryPath,
        bool toWarning
    ) external onlyRole(APPEALS_ROLE) nonReentrant returns (uint256 returned) {
        if (toWarning) {
            returned = _end(incidentId, EscrowStatus.Refunded);
            emit EscrowRefunded(incidentId, provider, returned);
        } else {
            Escrow storage escrow = _escrows[incidentId];
            _requireOpen(incidentId, escrow.status);
            uint256 held = escrow.amount - _claims[incidentId].released;
            returned = amount < held ? amount : held;
            uint256 total = escrow.amount - returned;
            (escrow.amount, escrow.recoverableBps, escrow.recoveryPath) = (uint96(total), recoverableBps, recoveryPath);
            _escrowed -= uint128(returned);
            emit EscrowDowngraded(incidentId, provider, returned, total);
        }
        _returnToPool(provider, returned);
    }

    /// @inheritdoc IRecoveryEscrow
    function add(bytes32 incidentId, address provider, uint256 amount) external onlyRole(VERDICT_ROLE) {
        Escrow storage escrow = _escrows[incidentId];
        if (escrow.status == uint8(EscrowStatus.Forfeited)) {
            _insurance += uint128(amount);
            emit EscrowForfeited(incidentId, provider, amount);
            return;
        }
        _requireOpen(incidentId, escrow.status);
        escrow.amount = (escrow.amount + amount).toUint96();
        _escrowed += uint128(amount);
        emit EscrowAdded(incidentId, provider, amount, escrow.amount);
    }

    /// @inheritdoc IRecoveryEscrow
    function acceptsMore(bytes32 incidentId) external view returns (bool) {
        Escrow memory escrow = _escrows[incidentId];
        bool isOpen = escrow.status == uint8(EscrowStatus.Escrowed) || escrow.status == uint8(EscrowStatus.Claimed)
            || escrow.status == uint8(EscrowStatus.Rejected);
        if (!isOpen && escrow.status != uint8(EscrowStatus.Forfeited)) return false;
        // Open or forfeited, what is still owed is written off once the incident reaches its maximum lifetime.
        (uint256 clock,) = _clock();
        return clock <= uint256(escrow.openedClock) + _params[escrow.paramsVersion].maxLifetime;
    }

    /* RECOVERY */

    /// @inheritdoc IRecoveryEscrow
    function fileClaim(
        IVerdictManager.Verdict calldata verdict,
        AuditProof calldata proof,
        bytes calldata auditorSignature
    ) external {
        bytes32 incidentId = verdict.incidentId;
        Escrow memory escrow = _verified(verdict);
        address operator = _stakeManager.getProvider(verdict.provider).operator;
        if (msg.sender != operator) revert NotProviderOperator(msg.sender);
        if (escrow.status == uint8(EscrowStatus.None)) revert NotRecoverable(incidentId); // a warning: nothing escrowed
        if (escrow.status != uint8(EscrowStatus.Escrowed) && escrow.status != uint8(EscrowStatus.Rejected)) {
            revert ClaimNotAllowed(incidentId, escrow.status);
        }
        RecoveryParams memory p = _params[escrow.paramsVersion];
        (uint256 clock, uint256 paused) = _clock();
        {
            uint256 deadline = uint256(escrow.openedClock) + p.claimWindow;
            if (clock > deadline) revert ClaimDeadlinePassed(deadline + paused, block.timestamp);
        }
        uint8 path = escrow.recoveryPath;
        if (path == uint8(IVerdictManager.RecoveryPath.None) || escrow.recoverableBps == 0) {
            revert NotRecoverable(incidentId);
        }

        address auditor;
        if (path != uint8(IVerdictManager.RecoveryPath.ServiceImprovement)) {
            auditor = _checkAuditProof(verdict, proof, auditorSignature, operator, escrow.openedAt);
            _logsRoots[incidentId] = proof.logsRoot;
        }

        Claim storage claim = _claims[incidentId];
        claim.filedAt = uint40(block.timestamp);
        claim.nextEpoch = 0;
        if (path == uint8(IVerdictManager.RecoveryPath.ComplianceVerification)) {
            // The audit proof is the whole of the evidence: everything vests now, payable after the challenge window.
            claim.vestedEpochs = p.epochsRequired;
            claim.lastVestedAt = uint40(block.timestamp);
            claim.vestedClock = uint40(clock);
        } else {
            claim.vestedEpochs = 0;
            claim.lastVestedAt = 0;
            claim.vestedClock = 0;
        }
        _escrows[incidentId].status = uint8(EscrowStatus.Claimed);
        _emitClaimFiled(verdict, proof, auditor);
    }

    function _emitClaimFiled(IVerdictManager.Verdict calldata verdict, AuditProof calldata proof, address auditor)
        private
    {
        if (auditor == address(0)) {
            emit ClaimFiled(verdict.incidentId, verdict.provider, auditor, bytes32(0), bytes32(0), bytes32(0));
        } else {
            emit ClaimFiled(
                verdict.incidentId, verdict.provider, auditor, proof.auditReportHash, proof.remediationHash, proof.logsRoot
            );
        }
    }

    /// @dev Checks the audit proof and its signature; returns the auditor and marks the proof used.
    function _checkAuditProof(
        IVerdictManager.Verdict calldata verdict,
        AuditProof calldata proof,
        bytes calldata signature,
        address operator,
        uint256 openedAt
    ) private returns (address auditor) {
        if (signature.length == 0) revert AuditProofRequired();
        bytes32 digest = _hashAuditProof(proof);
        ECDSA.RecoverError error;
        (auditor, error,) = ECDSA.tryRecover(digest, signature);
        if (error != ECDSA.RecoverError.NoError) revert InvalidSignature(0);
        if (!_auditors[auditor]) revert NotAuditor(auditor);
        if (auditor == verdict.provider || auditor == operator) revert AuditorIsProviderKey(auditor);
        if (proof.incidentId != verdict.incidentId || proof.provider != verdict.provider) revert AuditProofMismatch();
        if (proof.issuedAt < openedAt || proof.issuedAt > block.timestamp || block.timestamp > proof.expiry) {
            revert AuditProofNotValid(proof.issuedAt, proof.expiry, block.timestamp);
        }
        if (_usedProofs[digest]) revert AuditProofUsed(digest);
        _usedProofs[digest] = true;
    }

    /// @inheritdoc IRecoveryEscrow
    function attest(RestorationAttestation calldata attestation, bytes[] calldata signatures)
        external
        returns (bool applied)
    {
        bytes32 incidentId = attestation.incidentId;
        Claim memory claim = _observedClaim(attestation);
        (uint64 epoch_,, uint16 threshold_) = _committee.config();
        if (attestation.committeeEpoch != epoch_) revert StaleCommitteeEpoch(attestation.committeeEpoch, epoch_);
        bytes32 digest = _hashAttestation(attestation);
        if (!_collect(digest, epoch_, threshold_, signatures)) return false;

        uint256 epoch = attestation.observationEpoch;
        // Epochs skipped over lost their attestation grace without quorum: missed, neither vest nor reset.
        if (epoch > claim.nextEpoch) emit EpochsMissed(incidentId, claim.nextEpoch, epoch - claim.nextEpoch);
        bool passed = attestation.healthy && attestation.dataIntact;
        claim.nextEpoch = (epoch + 1).toUint32();
        if (passed) {
            claim.vestedEpochs += 1;
            claim.lastVestedAt = uint40(block.timestamp);
            (uint256 clock,) = _clock();
            claim.vestedClock = uint40(clock);
        } else {
            claim.vestedEpochs = 0;
        }
        _claims[incidentId] = claim;
        emit EpochAttested(incidentId, attestation.observationEpoch, passed, claim.vestedEpochs);
        return true;
    }

    /// @dev The claim `attestation` is for, checked to be observing exactly the attested epoch, which is over.
    function _observedClaim(RestorationAttestation calldata attestation) private view returns (Claim memory claim) {
        bytes32 incidentId = attestation.incidentId;
        Escrow memory escrow = _escrows[incidentId];
        RecoveryParams memory p = _params[escrow.paramsVersion];
        claim = _claims[incidentId];
        if (
            escrow.status != uint8(EscrowStatus.Claimed)
                || escrow.recoveryPath == uint8(IVerdictManager.RecoveryPath.ComplianceVerification)
                || claim.vestedEpochs >= p.epochsRequired
        ) revert NotObserving(incidentId);
        uint256 epoch = attestation.observationEpoch;
        if (epoch < claim.nextEpoch) revert WrongObservationEpoch(epoch, claim.nextEpoch);
        // Epochs keep the grid from the filing time, whatever was attested or missed before.
        uint256 start = uint256(claim.filedAt) + epoch * p.epochLength;
        uint256 end = start + p.epochLength;
        if (block.timestamp < end) revert ObservationEpochNotOver(epoch, end, block.timestamp);
        uint256 lastChance = end + p.attestationGrace;
        if (block.timestamp > lastChance) revert EpochMissed(epoch, lastChance, block.timestamp);
        if (attestation.observedAt < start || attestation.observedAt >= end) {
            revert ObservationOutsideEpoch(attestation.observedAt);
        }
    }

    /// @dev Adds the approvals carried by `signatures` to those recorded for `digest`; returns whether they
    /// reach `threshold_`. Approvals are stored only below quorum: an applied attestation moves its claim on
    /// (`nextEpoch`), so no later submission of it is accepted and its approvals are never read again.
    function _collect(bytes32 digest, uint64 epoch_, uint16 threshold_, bytes[] calldata signatures)
        private
        returns (bool reached)
    {
        uint256 bitmap = _approvals[digest];
        uint256 added;
        for (uint256 i; i < signatures.length; ++i) {
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecover(digest, signatures[i]);
            if (error != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            uint256 bit = _seatBit(epoch_, signer);
            if (added & bit != 0) revert DuplicateSigner(signer);
            added |= bit;
            bitmap |= bit;
        }
        reached = CommitteeApprovals.count(bitmap) >= threshold_;
        if (!reached) _approvals[digest] = bitmap;
    }

    /// @inheritdoc IRecoveryEscrow
    function approveRejection(IVerdictManager.Verdict calldata verdict, bytes32 evidenceHash)
        external
        returns (bool rejected)
    {
        bytes32 incidentId = verdict.incidentId;
        Escrow memory escrow = _verified(verdict);
        if (escrow.status != uint8(EscrowStatus.Claimed)) revert NotObserving(incidentId);
        RecoveryParams memory p = _params[escrow.paramsVersion];
        Claim memory claim = _claims[incidentId];
        if (claim.vestedEpochs >= p.epochsRequired) {
            (uint256 clock, uint256 paused) = _clock();
            uint256 windowEnd = uint256(claim.vestedClock) + p.challengeWindow;
            if (clock > windowEnd) revert ChallengeWindowClosed(windowEnd + paused, block.timestamp);
        }
        bytes32 decision = keccak256(abi.encode("reject", incidentId, claim.filedAt, evidenceHash));
        if (!_approveDecision(incidentId, decision)) return false;
        _escrows[incidentId].status = uint8(EscrowStatus.Rejected);
        _claims[incidentId].vestedEpochs = 0;
        emit ClaimRejected(incidentId, evidenceHash);
        return true;
    }

    /// @inheritdoc IRecoveryEscrow
    function approveEvaluation(IVerdictManager.Verdict calldata verdict, bytes32 reportHash)
        external
        returns (bool recorded)
    {
        bytes32 incidentId = verdict.incidentId;
        Escrow memory escrow = _verified(verdict);
        _requireOpen(incidentId, escrow.status);
        if (escrow.evaluated) revert EvaluationAlreadyRecorded(incidentId);
        bytes32 decision = keccak256(abi.encode("evaluate", incidentId, reportHash));
        if (!_approveDecision(incidentId, decision)) return false;
        _escrows[incidentId].evaluated = true;
        emit EvaluationRecorded(incidentId, reportHash);
        return true;
    }

    /// @inheritdoc IRecoveryEscrow
    function release(IVerdictManager.Verdict calldata verdict) external nonReentrant returns (uint256 amount) {
        bytes32 incidentId = verdict.incidentId;
        (Escrow memory escrow, IVerdictManager.Incident memory incident) = _verifiedIncident(verdict);
        _requireOpen(incidentId, escrow.status);
        (uint256 clock, uint256 paused) = _requireSettled(incidentId, incident);

        RecoveryParams memory p = _params[escrow.paramsVersion];
        Claim memory claim = _claims[incidentId];
        uint256 recoverable = uint256(escrow.amount) * escrow.recoverableBps / BPS;
        uint256 vested = escrow.status == uint8(EscrowStatus.Claimed) ? _vested(escrow, claim, p) : 0;
        uint256 payableFrom = uint256(claim.vestedClock) + p.challengeWindow;
        if (vested <= claim.released || clock < payableFrom) {
            revert NothingToRelease(vested, claim.released, payableFrom + paused);
        }
        bool complete = vested == recoverable && claim.vestedEpochs >= p.epochsRequired;
        if (complete && !escrow.evaluated) revert EvaluationMissing(incidentId);
        if (complete) {
            uint256 owed = _verdicts.remainderOf(incidentId);
            if (owed != 0) revert RemainderOwed(incidentId, owed);
        }

        amount = vested - claim.released;
        _claims[incidentId].released = uint96(vested);
        _escrowed -= uint128(amount);
        emit TrancheReleased(incidentId, verdict.provider, amount, vested);
        if (!complete) {
            _returnToPool(verdict.provider, amount);
            return amount;
        }
        // What was not recoverable (the escrow less everything released) goes to the insurance pool.
        uint256 forfeited = _end(incidentId, EscrowStatus.Released);
        _insurance += uint128(forfeited);
        emit RecoveryCompleted(incidentId, verdict.provider, vested, forfeited);
        _returnToPool(verdict.provider, amount);
        _closeIncident(incidentId, verdict.provider, true);
    }

    /// @inheritdoc IRecoveryEscrow
    function close(IVerdictManager.Verdict calldata verdict) external nonReentrant returns (uint256 forfeited) {
        bytes32 incidentId = verdict.incidentId;
        (Escrow memory escrow, IVerdictManager.Incident memory incident) = _verifiedIncident(verdict);
        _requireOpen(incidentId, escrow.status);
        // A tombstoning incident ends with the tombstone (finalizeTombstone, or an upheld appeal): closing
        // it here would close the incident and leave the provider untombstoned for good.
        if (incident.flags & FLAG_TOMBSTONE != 0) revert NotRecoverable(incidentId);
        // An appeal may still overturn the verdict and needs the escrow to refund.
        (uint256 clock, uint256 paused) = _requireSettled(incidentId, incident);
        RecoveryParams memory p = _params[escrow.paramsVersion];
        // An unclaimed escrow closes after the claim window, unless a remainder is owed: that is written
        // off only at the maximum lifetime, and stays collectable until then.
        bool lifetime = escrow.status == uint8(EscrowStatus.Claimed) || _verdicts.remainderOf(incidentId) != 0;
        uint256 closableAt = uint256(escrow.openedClock) + (lifetime ? p.maxLifetime : p.claimWindow);
        if (clock <= closableAt) revert NotClosable(closableAt + paused, block.timestamp);
        forfeited = _end(incidentId, EscrowStatus.Forfeited);
        _insurance += uint128(forfeited);
        emit EscrowForfeited(incidentId, verdict.provider, forfeited);
        _closeIncident(incidentId, verdict.provider, false);
    }

    /* INSURANCE */

    /// @inheritdoc IRecoveryEscrow
    function depositInsurance(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _insurance + amount;
        _insurance = balance.toUint128();
        emit InsuranceDeposited(msg.sender, amount, balance);
        _pullExact(amount);
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

    /* GOVERNANCE */

    /// @inheritdoc IRecoveryEscrow
    function setVerdictManager(IVerdictManager verdicts) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(verdicts) == address(0)) revert ZeroAddress();
        if (address(_verdicts) != address(0)) revert AlreadyConnected();
        RecoveryParams memory p = _params[_paramsVersion];
        if (p.maxLifetime < _recoveryPath(p) + _appealPath(verdicts.windows())) revert InvalidParameter("maxLifetime");
        _verdicts = verdicts;
        emit VerdictManagerSet(address(verdicts));
    }

    /// @inheritdoc IRecoveryEscrow
    function setAuditor(address auditor, bool registered) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (auditor == address(0)) revert ZeroAddress();
        _auditors[auditor] = registered;
        emit AuditorSet(auditor, registered);
    }

    /// @inheritdoc IRecoveryEscrow
    function setRecoveryParams(RecoveryParams calldata params) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRecoveryParams(params);
    }

    function _setRecoveryParams(RecoveryParams memory p) private {
        if (p.claimWindow == 0) revert InvalidParameter("claimWindow");
        if (p.epochLength == 0) revert InvalidParameter("epochLength");
        if (p.epochsRequired == 0) revert InvalidParameter("epochsRequired");
        if (p.challengeWindow == 0) revert InvalidParameter("challengeWindow");
        if (p.attestationGrace == 0 || p.attestationGrace >= p.epochLength) revert InvalidParameter("attestationGrace");
        // A claim filed at the deadline can still pass every epoch and its challenge window, after the
        // appeal window and its resolution, with one pause on the way.
        uint256 longest = _recoveryPath(p);
        if (address(_verdicts) != address(0)) longest += _appealPath(_verdicts.windows());
        if (p.maxLifetime < longest) revert InvalidParameter("maxLifetime");
        uint16 version = _paramsVersion + 1;
        _paramsVersion = version;
        _params[version] = p;
        emit RecoveryParamsSet(version, p);
    }

    /* VIEWS */

    /// @inheritdoc IRecoveryEscrow
    function escrowOf(bytes32 incidentId) external view returns (Escrow memory) {
        return _escrows[incidentId];
    }

    /// @inheritdoc IRecoveryEscrow
    function claimOf(bytes32 incidentId) external view returns (Claim memory) {
        return _claims[incidentId];
    }

    /// @inheritdoc IRecoveryEscrow
    function stateOf(bytes32 incidentId) external view returns (EscrowState) {
        Escrow memory escrow = _escrows[incidentId];
        EscrowStatus status = EscrowStatus(escrow.status);
        if (status == EscrowStatus.None) return EscrowState.None;
        if (status == EscrowStatus.Escrowed) return EscrowState.Escrowed;
        if (status == EscrowStatus.Rejected) return EscrowState.Rejected;
        if (status == EscrowStatus.Released) return EscrowState.Released;
        if (status == EscrowStatus.Forfeited) return EscrowState.Forfeited;
        if (status == EscrowStatus.Refunded) return EscrowState.Refunded;
        return _claims[incidentId].vestedEpochs >= _params[escrow.paramsVersion].epochsRequired
            ? EscrowState.Attested
            : EscrowState.Observing;
    }

    /// @inheritdoc IRecoveryEscrow
    function vestedOf(bytes32 incidentId) external view returns (uint256) {
        Escrow memory escrow = _escrows[incidentId];
        if (escrow.status != uint8(EscrowStatus.Claimed)) return _claims[incidentId].released;
        return _vested(escrow, _claims[incidentId], _params[escrow.paramsVersion]);
    }

    /// @inheritdoc IRecoveryEscrow
    function recoveryParams(uint16 version) external view returns (RecoveryParams memory) {
        return _params[version];
    }

    /// @inheritdoc IRecoveryEscrow
    function currentParamsVersion() external view returns (uint16) {
        return _paramsVersion;
    }

    /// @inheritdoc IRecoveryEscrow
    function isAuditor(address auditor) external view returns (bool) {
        return _auditors[auditor];
    }

    /// @inheritdoc IRecoveryEscrow
    function logsRootOf(bytes32 incidentId) external view returns (bytes32) {
        return _logsRoots[incidentId];
    }

    /// @inheritdoc IRecoveryEscrow
    function verifyLogLine(bytes32 incidentId, bytes calldata logLine, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _logsRoots[incidentId];
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, keccak256(bytes.concat(keccak256(logLine))));
    }

    /// @inheritdoc IRecoveryEscrow
    function hashAuditProof(AuditProof calldata proof) external view returns (bytes32) {
        return _hashAuditProof(proof);
    }

    /// @inheritdoc IRecoveryEscrow
    function hashAttestation(RestorationAttestation calldata attestation) external view returns (bytes32) {
        return _hashAttestation(attestation);
    }

    /// @inheritdoc IRecoveryEscrow
    function approvalsOf(bytes32 key) external view returns (uint256) {
        return _approvals[key];
    }

    /// @inheritdoc IRecoveryEscrow
    function insuranceBalance() external view returns (uint256) {
        return _insurance;
    }

    /// @inheritdoc IRecoveryEscrow
    function totalEscrowed() external view returns (uint256) {
        return _escrowed;
    }

    /// @inheritdoc IRecoveryEscrow
    function lifetimeSlack() external view returns (uint256) {
        RecoveryParams memory p = _params[_paramsVersion];
        return p.maxLifetime - _recoveryPath(p);
    }

    /* INTERNAL */

    /// @dev The escrow of `verdict`'s incident, after checking that `verdict` is the executed one.
    function _verified(IVerdictManager.Verdict calldata verdict) private view returns (Escrow memory escrow) {
        (escrow,) = _verifiedIncident(verdict);
    }

    /// @dev The escrow and the incident of `verdict`, after checking that `verdict` is the executed one.
    function _verifiedIncident(IVerdictManager.Verdict calldata verdict)
        private
        view
        returns (Escrow memory, IVerdictManager.Incident memory incident)
    {
        bytes32 digest;
        (incident, digest) = _verdicts.getIncident(verdict.incidentId);
        if (digest == bytes32(0) || digest != _verdicts.hashVerdict(verdict)) revert VerdictMismatch(verdict.incidentId);
        return (_escrows[verdict.incidentId], incident);
    }

    /// @dev Releases and default closes wait out a guardian pause and every appeal of the incident: its
    /// own appeal window (copied when it executed), a pending appeal, and its latest upgrade's. Returns the pause-free clock
    /// and the seconds paused so far.
    function _requireSettled(bytes32 incidentId, IVerdictManager.Incident memory incident)
        private
        view
        returns (uint256 clock, uint256 paused)
    {
        uint256 pausedUntil = _verdicts.pausedUntil();
        if (block.timestamp < pausedUntil) revert ReleasesPaused(pausedUntil);
        if (incident.appealedAt == 0) {
            uint256 windowEnd = uint256(incident.executedAt) + incident.appealWindow;
            if (block.timestamp <= windowEnd) revert AppealWindowOpen(windowEnd, block.timestamp);
        } else if (incident.flags & FLAG_APPEAL_RESOLVED == 0) {
            revert AppealPending(incidentId);
        }
        // An upgrade is appealable on its own (see `IAppealCourt.upgradeOf`).
        if (incident.flags & FLAG_UPGRADED != 0 && !_verdicts.upgradeOver(incidentId)) revert AppealPending(incidentId);
        (clock, paused) = _clock();
    }

    /// @dev The pause-free clock (what the claim, challenge and lifetime windows run on) and the
    /// seconds paused so far (a wall-clock deadline is its clock deadline plus these).
    function _clock() private view returns (uint256 clock, uint256 paused) {
        paused = _verdicts.pausedTotal();
        clock = block.timestamp - paused;
    }

    /// @dev The longest recovery: a claim filed at the deadline, every epoch (the last attested at the
    /// end of its grace), then the challenge window.
    function _recoveryPath(RecoveryParams memory p) private pure returns (uint256) {
        return uint256(p.claimWindow) + uint256(p.epochLength) * p.epochsRequired + p.attestationGrace
            + p.challengeWindow;
    }

    /// @dev What the escrow must also outlast: the appeal window, its resolution and one pause.
    function _appealPath(IVerdictManager.Windows memory w) private pure returns (uint256) {
        return uint256(w.appealWindow) + w.appealResolution + w.maxPause;
    }

    function _requireOpen(bytes32 incidentId, uint8 status) private pure {
        if (
            status != uint8(EscrowStatus.Escrowed) && status != uint8(EscrowStatus.Claimed)
                && status != uint8(EscrowStatus.Rejected)
        ) revert EscrowNotOpen(incidentId);
    }

    /// @dev Ends an open escrow with `status`; returns what it still held (not yet released).
    function _end(bytes32 incidentId, EscrowStatus status) private returns (uint256 left) {
        Escrow storage escrow = _escrows[incidentId];
        _requireOpen(incidentId, escrow.status);
        left = escrow.amount - _claims[incidentId].released;
        escrow.status = uint8(status);
        _escrowed -= uint128(left);
    }

    function _vested(Escrow memory escrow, Claim memory claim, RecoveryParams memory p)
        private
        pure
        returns (uint256)
    {
        uint256 recoverable = uint256(escrow.amount) * escrow.recoverableBps / BPS;
        uint256 epochs = claim.vestedEpochs < p.epochsRequired ? claim.vestedEpochs : p.epochsRequired;
        if (!p.graduated) return epochs == p.epochsRequired ? recoverable : 0;
        return recoverable * epochs / p.epochsRequired;
    }

    /// @dev Records the caller's approval of `decision`; true when it reaches quorum.
    function _approveDecision(bytes32 incidentId, bytes32 decision) private returns (bool) {
        (uint64 epoch_,, uint16 threshold_) = _committee.config();
        decision = keccak256(abi.encode(decision, epoch_));
        uint256 bit = _seatBit(epoch_, msg.sender);
        uint256 bitmap = _approvals[decision];
        if (bitmap & bit != 0) revert DuplicateSigner(msg.sender);
        bitmap |= bit;
        _approvals[decision] = bitmap;
        uint256 approvals = CommitteeApprovals.count(bitmap);
        emit DecisionApproved(incidentId, decision, msg.sender, approvals);
        return approvals == threshold_;
    }

    function _returnToPool(address provider, uint256 amount) private {
        if (amount == 0) return;
        _token.forceApprove(address(_stakeManager), amount);
        _stakeManager.returnStake(provider, amount);
    }

    function _closeIncident(bytes32 incidentId, address provider, bool recovered) private {
        _stakeManager.unfreeze(provider);
        _verdicts.closeIncident(incidentId, provider, recovered);
    }

    function _hashAuditProof(AuditProof calldata proof) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(AUDIT_PROOF_TYPEHASH, proof)));
    }

    function _hashAttestation(RestorationAttestation calldata attestation) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_TYPEHASH, attestation)));
    }

    /// @dev Pulls `amount` from the caller and checks that exactly `amount` arrived.
    function _pullExact(uint256 amount) private {
        uint256 received = SafeDeposit.pull(_token, msg.sender, amount);
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }

    /// @dev The approval bit of `signer`'s seat in `epoch_`; reverts for non-members.
    function _seatBit(uint64 epoch_, address signer) private view returns (uint256 bit) {
        bit = CommitteeApprovals.seatBit(_committee, epoch_, signer);
        if (bit == 0) revert NotCommitteeMember(signer, epoch_);
    }
}
