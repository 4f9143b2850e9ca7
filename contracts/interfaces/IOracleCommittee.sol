// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IOracleCommittee
/// @notice The oracle committee of swarm-stake: m-of-n members versioned by epoch, and the separate
/// operator bonds that members post (not StakeManager pools).
/// @dev Roles and their powers:
/// - `DEFAULT_ADMIN_ROLE` (the governance timelock) replaces the committee (members and threshold),
///   which starts a new epoch, sets the minimum bond and the source of the bond lock period.
///   It cannot move bonds.
/// - `PENALIZER_ROLE` (the verdict contract) takes part of a member's bond into a wronged provider's
///   pool when a verdict the member signed is overturned. It cannot pay bonds out to anyone else.
/// - Anyone holding a bond (a member, past or future) may announce where its evidence server
///   answers; the contract only records the announcement in an event.
/// Approvals count only in the epoch they were made for: every membership or threshold change
/// starts a new epoch.
interface IOracleCommittee {
    /* ERRORS */

    /// @notice An amount argument was zero.
    error ZeroAmount();
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice A committee of `size` members is empty or larger than 256.
    error CommitteeSizeOutOfRange(uint256 size);
    /// @notice A threshold of `threshold` is zero or larger than the committee size `size`.
    error ThresholdOutOfRange(uint256 threshold, uint256 size);
    /// @notice `member` appears twice in the new committee.
    error DuplicateMember(address member);
    /// @notice `member` holds a bond of `bond`, below the minimum `minimum`.
    error BondBelowMinimum(address member, uint256 bond, uint256 minimum);
    /// @notice A withdrawal of `requested` exceeds the free bond `available`.
    error InsufficientBond(uint256 requested, uint256 available);
    /// @notice The requested bond withdrawal unlocks at `withdrawableAt`; it is `nowTime`.
    error BondLocked(uint256 withdrawableAt, uint256 nowTime);
    /// @notice The caller has no bond withdrawal pending.
    error NothingToWithdraw();
    /// @notice The token moved `received` to the contract when `expected` was asked for.
    error TransferAmountMismatch(uint256 expected, uint256 received);
    /// @notice `caller` holds no bond, so it cannot announce an evidence server.
    error NoBond(address caller);
    /// @notice An evidence server URL of `length` bytes is empty or longer than `maxLength`.
    error EvidenceURLLengthOutOfRange(uint256 length, uint256 maxLength);
    /// @notice The byte at `position` of an evidence server URL is not visible ASCII (0x21 to 0x7e).
    error EvidenceURLCharacterNotVisible(uint256 position);

    /* STRUCTS */

    /// @notice A member's operator bond, packed into one slot.
    struct Bond {
        /// Tokens bonded, a pending withdrawal included (still penalizable until withdrawn).
        uint128 amount;
        /// Part of `amount` whose withdrawal was requested.
        uint96 pending;
        /// Unix time (seconds) from which `pending` may be withdrawn.
        uint32 withdrawableAt;
    }

    /* EVENTS */

    /// @notice A new committee of `members` with threshold `threshold` took office at `epoch`.
    event CommitteeChanged(uint64 indexed epoch, address[] members, uint256 threshold);
    /// @notice `member` added `amount` to its bond, which is now `total`.
    event BondPosted(address indexed member, uint256 amount, uint256 total);
    /// @notice `member` asked to withdraw `pending` tokens of its bond, from `withdrawableAt`.
    event BondWithdrawalRequested(address indexed member, uint256 pending, uint256 withdrawableAt);
    /// @notice `member` withdrew `amount` tokens of its bond.
    event BondWithdrawn(address indexed member, uint256 amount);
    /// @notice `amount` of the bond of `member` went to the pool of `provider` (`toPool`) or to the
    /// provider's owner key.
    event BondPenalized(address indexed member, address indexed provider, uint256 amount, bool toPool);
    /// @notice The minimum bond of a member is now `amount`.
    event MinBondSet(uint256 amount);
    /// @notice Bond withdrawals are now locked for as long as `source` says.
    event LockSourceSet(address indexed source);
    /// @notice `member` serves the evidence it signed at `url` (GET `url`/evidence/<evidence hash>);
    /// its latest announcement replaces the earlier ones.
    event EvidenceServerAnnounced(address indexed member, string url);

    /* COMMITTEE */

    /// @notice Replaces the committee and starts a new epoch. Only `DEFAULT_ADMIN_ROLE`.
    /// Every member must already hold the minimum bond, not counting a pending withdrawal.
    function setCommittee(address[] calldata members, uint16 threshold) external;

    /// @notice The current epoch, committee size and threshold in one read.
    function config() external view returns (uint64 epoch_, uint16 size_, uint16 threshold_);

    /// @notice The current epoch; approvals made for another epoch do not count.
    function epoch() external view returns (uint64);

    /// @notice The number of approvals a decision needs in the current epoch.
    function threshold() external view returns (uint16);

    /// @notice The number of members in the current epoch.
    function size() external view returns (uint16);

    /// @notice The 1-based seat of `member` in `epoch` (0: not a member then).
    function seatOf(uint64 epoch_, address member) external view returns (uint256);

    /// @notice The member holding the 0-based `index` in `epoch`.
    function memberAt(uint64 epoch_, uint256 index) external view returns (address);

    /* BONDS */

    /// @notice Adds `amount` tokens to the caller's bond. The caller must have approved the tokens.
    function postBond(uint256 amount) external;

    /// @notice Starts the withdrawal of `amount` of the caller's bond; it unlocks after the bond lock
    /// period (every window in which a verdict the caller signed can still be overturned). A member of
    /// the current committee must keep the minimum bond. A new request restarts the lock for the whole
    /// pending amount.
    function requestBondWithdrawal(uint256 amount) external;

    /// @notice Pays out the caller's pending withdrawal once unlocked.
    function withdrawBond() external returns (uint256 amount);

    /// @notice Moves up to `amount` of the bond of `member` to the wronged provider: into its pool when
    /// `toPool` (an overturned slash: the pool is still frozen by that incident, so exactly the stakers
    /// it wronged share), else to its owner key (an overturned warning froze nothing, and a staker who
    /// joined after the verdict must not share). Only `PENALIZER_ROLE`. Returns what was taken (the
    /// bond may hold less).
    function penalize(address member, address provider, uint256 amount, bool toPool) external returns (uint256 taken);

    /// @notice The bond of `member`.
    function bondOf(address member) external view returns (Bond memory);

    /// @notice The minimum bond of a committee member.
    function minBond() external view returns (uint256);

    /// @notice Seconds a requested bond withdrawal stays locked.
    function bondLockPeriod() external view returns (uint256);

    /* EVIDENCE */

    /// @notice Announces the base URL of the caller's evidence server, where it serves every evidence
    /// bundle it signed (`url`/evidence/<evidence hash>), so that a slashed provider can fetch the
    /// evidence of its verdict from each signer. The caller must hold a bond (any non-zero amount,
    /// a pending withdrawal included): every signer of a verdict does, and a stranger cannot fill
    /// the event log for free. Readers only look at the announcements of a verdict's signers.
    /// The URL is 1 to `MAX_EVIDENCE_URL_BYTES` bytes of visible ASCII (no spaces or control
    /// characters). Nothing is stored: the latest `EvidenceServerAnnounced` event of a member is its URL.
    function announceEvidenceServer(string calldata url) external;

    /* GOVERNANCE */

    /// @notice Sets the minimum bond. Only `DEFAULT_ADMIN_ROLE`.
    function setMinBond(uint128 amount) external;

    /// @notice Sets the contract whose `bondLockPeriod()` locks withdrawals. Only `DEFAULT_ADMIN_ROLE`.
    function setLockSource(address source) external;
}
