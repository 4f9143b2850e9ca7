// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerdictBatcher} from "./interfaces/IVerdictBatcher.sol";
import {IVerdictManager} from "./interfaces/IVerdictManager.sol";

/// @title VerdictBatcher
/// @notice Many verdicts in one transaction. See {IVerdictBatcher}.
contract VerdictBatcher is IVerdictBatcher {
    IVerdictManager private immutable _verdicts;

    constructor(IVerdictManager verdicts_) {
        _verdicts = verdicts_;
    }

    /// @inheritdoc IVerdictBatcher
    function submitBatch(IVerdictManager.Verdict[] calldata verdicts_, bytes[][] calldata signatures)
        external
        returns (uint256 executedCount)
    {
        if (verdicts_.length != signatures.length) revert LengthMismatch(verdicts_.length, signatures.length);
        for (uint256 i; i < verdicts_.length; ++i) {
            try _verdicts.submit(verdicts_[i], signatures[i]) returns (bool executed) {
                if (executed) ++executedCount;
            } catch (bytes memory reason) {
                emit VerdictSkipped(i, _verdicts.hashVerdict(verdicts_[i]), reason);
            }
        }
    }

    /// @inheritdoc IVerdictBatcher
    function verdicts() external view returns (IVerdictManager) {
        return _verdicts;
    }
}
