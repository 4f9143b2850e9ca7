// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOracleCommittee} from "../interfaces/IOracleCommittee.sol";

/// @title CommitteeApprovals
/// @notice Approval bitmaps of the oracle committee: bit i set means seat i of the epoch approved.
library CommitteeApprovals {
    /// @notice The approval bit of `signer`'s seat in `epoch`, or 0 when `signer` is not a member then
    /// (callers revert with their own `NotCommitteeMember`).
    function seatBit(IOracleCommittee committee, uint64 epoch, address signer) internal view returns (uint256) {
        uint256 seat = committee.seatOf(epoch, signer);
        return seat == 0 ? 0 : 1 << (seat - 1);
    }

    /// @notice The number of approvals in `bitmap`.
    function count(uint256 bitmap) internal pure returns (uint256 approvals) {
        for (; bitmap != 0; ++approvals) {
            bitmap &= bitmap - 1;
        }
    }
}
