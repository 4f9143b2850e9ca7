// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRecoveryEscrow} from "./interfaces/IRecoveryEscrow.sol";
import {ISwarmLens} from "./interfaces/ISwarmLens.sol";
import {IVerdictManager} from "./interfaces/IVerdictManager.sol";

/// @title SwarmLens
/// @notice Views over the verdict contract and the escrow. See {ISwarmLens}.
contract SwarmLens is ISwarmLens {
    uint8 private constant FLAG_APPEAL_RESOLVED = 1;
    uint8 private constant FLAG_OVERTURNED = 2;
    uint8 private constant FLAG_CLOSED = 4;

    IVerdictManager private immutable _verdicts;
    IRecoveryEscrow private immutable _escrow;

    constructor(IVerdictManager verdicts_, IRecoveryEscrow escrow_) {
        _verdicts = verdicts_;
        _escrow = escrow_;
    }

    /// @inheritdoc ISwarmLens
    function stateOf(bytes32 incidentId) external view returns (IVerdictManager.Phase) {
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        if (incident.detectedAt == 0) return IVerdictManager.Phase.None;
        if (incident.executedAt == 0) return IVerdictManager.Phase.Detected;
        if (incident.flags & FLAG_OVERTURNED != 0) return IVerdictManager.Phase.Overturned;
        if (incident.flags & FLAG_CLOSED != 0) return IVerdictManager.Phase.Closed;
        if (incident.appealedAt != 0 && incident.flags & FLAG_APPEAL_RESOLVED == 0) {
            return IVerdictManager.Phase.Appealed;
        }
        if (incident.level == uint8(IVerdictManager.Level.Warning)) {
            return block.timestamp > uint256(incident.executedAt) + incident.appealWindow
                ? IVerdictManager.Phase.Closed
                : IVerdictManager.Phase.Responded;
        }
        if (_escrow.escrowOf(incidentId).evaluated) return IVerdictManager.Phase.Evaluated;
        IRecoveryEscrow.EscrowState escrowState = _escrow.stateOf(incidentId);
        if (escrowState == IRecoveryEscrow.EscrowState.Observing || escrowState == IRecoveryEscrow.EscrowState.Attested) {
            return IVerdictManager.Phase.Restoring;
        }
        return IVerdictManager.Phase.Responded;
    }

    /// @inheritdoc ISwarmLens
    function incidentIdOf(address provider, uint8 violationClass, uint64 observedAt) external view returns (bytes32) {
        return keccak256(abi.encode(provider, violationClass, observedAt / _verdicts.windows().bucketLength));
    }

    /// @inheritdoc ISwarmLens
    function appealPending(bytes32 incidentId) external view returns (bool) {
        (IVerdictManager.Incident memory incident,) = _verdicts.getIncident(incidentId);
        return incident.appealedAt != 0 && incident.flags & FLAG_APPEAL_RESOLVED == 0;
    }

    /// @inheritdoc ISwarmLens
    function verdicts() external view returns (IVerdictManager) {
        return _verdicts;
    }
}
