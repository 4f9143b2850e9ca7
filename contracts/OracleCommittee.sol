// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IOracleCommittee} from "./interfaces/IOracleCommittee.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {SafeDeposit} from "./libraries/SafeDeposit.sol";

/// @dev The one view the committee needs from the verdict contract.
interface IBondLock {
    function bondLockPeriod() external view returns (uint256);
}

/// @title OracleCommittee
/// @notice Committee membership by epoch and the members' operator bonds. See {IOracleCommittee}.
contract OracleCommittee is IOracleCommittee, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    bytes32 public constant PENALIZER_ROLE = keccak256("PENALIZER_ROLE");
    uint256 public constant MAX_MEMBERS = 256;
    /// @notice Longest evidence server URL a member may announce, in bytes.
    uint256 public constant MAX_EVIDENCE_URL_BYTES = 256;

    IERC20 private immutable _token;
    IStakeManager private immutable _stakeManager;

    /// @dev Current epoch, size and threshold: one slot, read by every approval.
    uint64 private _epoch;
    uint16 private _size;
    uint16 private _threshold;
    uint128 private _minBond;

    address private _lockSource;

    mapping(uint64 epoch => mapping(address member => uint256 seat)) private _seats;
    mapping(uint64 epoch => mapping(uint256 index => address member)) private _members;
    mapping(address member => Bond) private _bonds;

    constructor(IERC20 token_, IStakeManager stakeManager_, address admin, uint128 minBond_) {
        if (address(token_) == address(0) || address(stakeManager_) == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        _token = token_;
        _stakeManager = stakeManager_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _minBond = minBond_;
        emit MinBondSet(minBond_);
    }

    /* COMMITTEE */

    /// @inheritdoc IOracleCommittee
    function setCommittee(address[] calldata members, uint16 threshold_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 size_ = members.length;
        if (size_ == 0 || size_ > MAX_MEMBERS) revert CommitteeSizeOutOfRange(size_);
        if (threshold_ == 0 || threshold_ > size_) revert ThresholdOutOfRange(threshold_, size_);
        uint64 next = _epoch + 1;
        uint256 minimum = _minBond;
        for (uint256 i; i < size_; ++i) {
            address member = members[i];
            if (member == address(0)) revert ZeroAddress();
            if (_seats[next][member] != 0) revert DuplicateMember(member);
            // A pending withdrawal is on its way out: only the rest can back the member's signatures.
            Bond memory held = _bonds[member];
            uint256 bond = held.amount - held.pending;
            if (bond < minimum) revert BondBelowMinimum(member, bond, minimum);
            _seats[next][member] = i + 1;
            _members[next][i] = member;
        }
        _epoch = next;
        _size = uint16(size_);
        _threshold = threshold_;
        emit CommitteeChanged(next, members, threshold_);
    }

    /// @inheritdoc IOracleCommittee
    function config() external view returns (uint64, uint16, uint16) {
        return (_epoch, _size, _threshold);
    }

    /// @inheritdoc IOracleCommittee
    function epoch() external view returns (uint64) {
        return _epoch;
    }

    /// @inheritdoc IOracleCommittee
    function threshold() external view returns (uint16) {
        return _threshold;
    }

    /// @inheritdoc IOracleCommittee
    function size() external view returns (uint16) {
        return _size;
    }

    /// @inheritdoc IOracleCommittee
    function seatOf(uint64 epoch_, address member) external view returns (uint256) {
        return _seats[epoch_][member];
    }

    /// @inheritdoc IOracleCommittee
    function memberAt(uint64 epoch_, uint256 index) external view returns (address) {
        return _members[epoch_][index];
    }

    /* BONDS */

    /// @inheritdoc IOracleCommittee
    function postBond(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Bond storage bond = _bonds[msg.sender];
        uint256 total = bond.amount + amount;
        bond.amount = total.toUint128();
        emit BondPosted(msg.sender, amount, total);
        _pullExact(amount);
    }

    /// @inheritdoc IOracleCommittee
    function requestBondWithdrawal(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Bond memory bond = _bonds[msg.sender];
        uint256 pending = bond.pending + amount;
        if (pending > bond.amount) revert InsufficientBond(amount, bond.amount - bond.pending);
        if (_seats[_epoch][msg.sender] != 0) {
            uint256 remaining = bond.amount - pending;
            if (remaining < _minBond) revert BondBelowMinimum(msg.sender, remaining, _minBond);
        }
        uint256 withdrawableAt = block.timestamp + bondLockPeriod();
        bond.pending = pending.toUint96();
        bond.withdrawableAt = withdrawableAt.toUint32();
        _bonds[msg.sender] = bond;
        emit BondWithdrawalRequested(msg.sender, pending, withdrawableAt);
    }

    /// @inheritdoc IOracleCommittee
    function withdrawBond() external nonReentrant returns (uint256 amount) {
        Bond memory bond = _bonds[msg.sender];
        amount = bond.pending;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < bond.withdrawableAt) revert BondLocked(bond.withdrawableAt, block.timestamp);
        bond.amount -= uint128(amount);
        bond.pending = 0;
        bond.withdrawableAt = 0;
        _bonds[msg.sender] = bond;
        emit BondWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IOracleCommittee
    function penalize(address member, address provider, uint256 amount, bool toPool)
        external
        onlyRole(PENALIZER_ROLE)
        nonReentrant
        returns (uint256 taken)
    {
        Bond memory bond = _bonds[member];
        taken = amount < bond.amount ? amount : bond.amount;
        if (taken == 0) return 0;
        bond.amount -= uint128(taken);
        // A pending withdrawal can only pay out what is left.
        if (bond.pending > bond.amount) bond.pending = uint96(bond.amount);
        _bonds[member] = bond;
        emit BondPenalized(member, provider, taken, toPool);
        if (toPool) {
            _token.forceApprove(address(_stakeManager), taken);
            _stakeManager.returnStake(provider, taken);
        } else {
            _token.safeTransfer(provider, taken);
        }
    }

    /// @inheritdoc IOracleCommittee
    function bondOf(address member) external view returns (Bond memory) {
        return _bonds[member];
    }

    /// @inheritdoc IOracleCommittee
    function minBond() external view returns (uint256) {
        return _minBond;
    }

    /// @inheritdoc IOracleCommittee
    function bondLockPeriod() public view returns (uint256) {
        address source = _lockSource;
        return source == address(0) ? 0 : IBondLock(source).bondLockPeriod();
    }

    /* EVIDENCE */

    /// @inheritdoc IOracleCommittee
    function announceEvidenceServer(string calldata url) external {
        if (_bonds[msg.sender].amount == 0) revert NoBond(msg.sender);
        bytes calldata raw = bytes(url);
        uint256 length = raw.length;
        if (length == 0 || length > MAX_EVIDENCE_URL_BYTES) {
            revert EvidenceURLLengthOutOfRange(length, MAX_EVIDENCE_URL_BYTES);
        }
        // Visible ASCII only: readers print the URL, and a control character could drive their terminal.
        for (uint256 i; i < length; ++i) {
            bytes1 char = raw[i];
            if (char < 0x21 || char > 0x7e) revert EvidenceURLCharacterNotVisible(i);
        }
        emit EvidenceServerAnnounced(msg.sender, url);
    }

    /* GOVERNANCE */

    /// @inheritdoc IOracleCommittee
    function setMinBond(uint128 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _minBond = amount;
        emit MinBondSet(amount);
    }

    /// @inheritdoc IOracleCommittee
    function setLockSource(address source) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (source == address(0)) revert ZeroAddress();
        _lockSource = source;
        emit LockSourceSet(source);
    }

    /// @dev Pulls `amount` from the caller and checks that exactly `amount` arrived.
    function _pullExact(uint256 amount) private {
        uint256 received = SafeDeposit.pull(_token, msg.sender, amount);
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }
}
