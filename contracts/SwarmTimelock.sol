// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title SwarmTimelock
/// @notice The governance timelock of swarm-stake: OpenZeppelin's TimelockController, unchanged. It holds
/// the admin role of every swarm-stake contract, so parameters, the committee, the slashing matrix and
/// the arbiter change only after `getMinDelay()` seconds of public notice.
contract SwarmTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}
