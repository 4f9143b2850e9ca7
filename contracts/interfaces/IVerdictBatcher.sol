// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerdictManager} from "./IVerdictManager.sol";

/// @title IVerdictBatcher
/// @notice Submits many signed verdicts to the verdict contract in one transaction. It holds no state
/// and no role: `IVerdictManager.submit` takes its authority from the signatures, not the caller, so a
/// batch does exactly what its items would do one by one.
interface IVerdictBatcher {
    /// @notice Item `index` of a batch was skipped; `reason` is the verdict contract's revert data.
    event VerdictSkipped(uint256 indexed index, bytes32 indexed digest, bytes reason);

    /// @notice `verdicts` and `signatures` differ in length.
    error LengthMismatch(uint256 verdicts, uint256 signatures);

    /// @notice Submits each verdict with its signatures; an item that reverts is skipped with
    /// `VerdictSkipped`, the others go on.
    /// @return executedCount How many verdicts executed.
    function submitBatch(IVerdictManager.Verdict[] calldata verdicts_, bytes[][] calldata signatures)
        external
        returns (uint256 executedCount);

    /// @notice The verdict contract submitted to.
    function verdicts() external view returns (IVerdictManager);
}
