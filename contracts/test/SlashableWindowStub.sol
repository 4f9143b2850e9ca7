// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Test-only stand-in for the verdict contract's `slashableWindow()` view.
contract SlashableWindowStub {
    uint256 public slashableWindow;

    constructor(uint256 window) {
        slashableWindow = window;
    }

    function setSlashableWindow(uint256 window) external {
        slashableWindow = window;
    }
}
