// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test-only token that, once armed, calls `target` with `data` from inside its next
/// transfer (before moving the balance), as a malicious or hook-bearing token could. A failed
/// callback bubbles its revert data up; a successful one is counted in `callbacks`.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public data;
    bool public armed;
    uint256 public callbacks;

    constructor(address holder, uint256 supply) ERC20("Reentrant", "REENT") {
        _mint(holder, supply);
    }

    /// @notice Makes the next transfer call `target_` with `data_` once.
    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (armed && from != address(0) && to != address(0)) {
            armed = false;
            (bool ok, bytes memory ret) = target.call(data);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
            ++callbacks;
        }
        super._update(from, to, value);
    }
}
