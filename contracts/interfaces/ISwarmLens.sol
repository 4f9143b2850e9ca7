// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerdictManager} from "./IVerdictManager.sol";

/// @title ISwarmLens
/// @notice Read-only views that combine the state of several swarm-stake contracts. It holds no
/// state and no role: the core contracts stay small, and a lens can be redeployed at will.
interface ISwarmLens {
    /// @notice The derived phase of `incidentId`, from the verdict contract's incident record and
    /// the escrow's state: None, Detected (approvals, not executed), Responded, Appealed, Restoring
    /// (a claim under observation or attested), Evaluated, Closed (released, forfeited, tombstoned,
    /// or a warning past its appeal window) or Overturned.
    function stateOf(bytes32 incidentId) external view returns (IVerdictManager.Phase);

    /// @notice The incident id of a failure of `provider` in `violationClass` observed at `observedAt`:
    /// `keccak256(abi.encode(provider, violationClass, observedAt / bucketLength))` with the verdict
    /// contract's current bucket length.
    function incidentIdOf(address provider, uint8 violationClass, uint64 observedAt) external view returns (bytes32);

    /// @notice Whether `incidentId` has an appeal waiting for the arbiter.
    function appealPending(bytes32 incidentId) external view returns (bool);

    /// @notice The verdict contract read.
    function verdicts() external view returns (IVerdictManager);
}
