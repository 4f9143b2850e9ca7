// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title SharesMath
/// @notice Share <-> asset conversion of a pool, ERC-4626 style, with virtual shares and a virtual
/// asset so that the first depositor cannot inflate the share price. Both directions round down,
/// in the pool's favour: a deposit never mints more shares, a redemption never pays more tokens,
/// than the exact pro-rata value.
library SharesMath {
    /// @dev 10 ** decimals offset; each token unit is worth 1,000 share units in an empty pool.
    uint256 internal constant VIRTUAL_SHARES = 1e3;
    uint256 internal constant VIRTUAL_ASSETS = 1;

    /// @dev A pool whose share price fell below a millionth of an empty pool's price takes no new stake:
    /// a deposit there would mint a share count that overflows, and the price is no longer meaningful.
    uint256 internal constant MAX_SHARES_PER_ASSET = VIRTUAL_SHARES * 1e6;

    /// @notice Whether a pool holding `totalAssets` for `totalShares` is depleted (slashed to dust).
    function isDepleted(uint256 totalAssets, uint256 totalShares) internal pure returns (bool) {
        return totalShares != 0 && totalShares > totalAssets * MAX_SHARES_PER_ASSET;
    }

    /// @notice Shares minted for `assets` in a pool holding `totalAssets` for `totalShares`.
    function toSharesDown(uint256 assets, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return Math.mulDiv(assets, totalShares + VIRTUAL_SHARES, totalAssets + VIRTUAL_ASSETS);
    }

    /// @notice Tokens paid for `shares` in a pool holding `totalAssets` for `totalShares`.
    function toAssetsDown(uint256 shares, uint256 totalAssets, uint256 totalShares) internal pure returns (uint256) {
        return Math.mulDiv(shares, totalAssets + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }
}
