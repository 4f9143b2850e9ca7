// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title SafeDeposit
/// @notice Pulls tokens into the calling contract and measures what arrived, so that every contract
/// of swarm-stake refuses fee-on-transfer and rebasing tokens the same way.
library SafeDeposit {
    using SafeERC20 for IERC20;

    /// @notice Transfers `amount` of `token` from `from` to this contract and returns by how much this
    /// contract's balance grew; callers revert with their own `TransferAmountMismatch` unless it is `amount`.
    function pull(IERC20 token, address from, uint256 amount) internal returns (uint256 received) {
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        received = token.balanceOf(address(this)) - balanceBefore;
    }
}
