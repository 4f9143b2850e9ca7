// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title SwarmToken
/// @notice The staking token of the swarm-stake devnet. On a real network the token address is a
/// deploy parameter and this contract is not deployed.
contract SwarmToken is ERC20, ERC20Permit {
    /// @param holder Receives the whole fixed supply.
    /// @param supply Tokens minted once, at deployment.
    constructor(address holder, uint256 supply) ERC20("Swarm", "SWARM") ERC20Permit("Swarm") {
        _mint(holder, supply);
    }
}
