// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IStakeManager
/// @notice Holds the ERC-20 performance bonds of swarm-stake: one pool per provider, counted in
/// shares, so that a slash or a recovery changes one number whatever the number of delegators.
/// @dev Roles and their powers:
/// - `DEFAULT_ADMIN_ROLE` (the governance timelock) sets the unbonding period and the minimum
///   self-stake, and grants the other roles. It cannot move stake.
/// - `SLASHER_ROLE` (the verdict contract) can penalize (record an offense; for a slashing verdict also
///   freeze a pool, jail a provider and slash its pool into an escrow address, in one call), take more
///   of a frozen pool (a remainder the caps cut short) and take an incident out of the provider's
///   standing set (an overturn, or a close). It cannot return stake or tombstone.
/// - `APPEALS_ROLE` (the appeal court) can tombstone a provider (a tombstoning verdict that stands).
///   It cannot move stake or jail.
/// - `RETURNER_ROLE` (the recovery escrow, the oracle committee) can return stake to a pool: tokens
///   it pays in itself. It cannot take stake, jail, unjail or unfreeze.
/// - `UNFREEZER_ROLE` (the recovery escrow, the appeal court, the verdict contract) can count one open incident of a
///   pool as ended. It cannot move stake or jail.
/// Stake that is unbonding stays in the pool as shares: it keeps being slashable and keeps its
/// share of any recovery until it is withdrawn.
interface IStakeManager {
    /* ERRORS */

    /// @notice An amount, a share count or an address argument was zero.
    error ZeroAmount();
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice The deposit is too small to mint a single share at the pool's current price.
    error ZeroShares();
    /// @notice `provider` has already registered.
    error ProviderAlreadyRegistered(address provider);
    /// @notice `provider` has never registered.
    error ProviderNotRegistered(address provider);
    /// @notice `provider` is permanently excluded.
    error ProviderTombstoned(address provider);
    /// @notice `provider` cannot take delegations now (jailed, tombstoned or below its minimum self-stake).
    error ProviderNotActive(address provider);
    /// @notice The caller is neither the provider (owner key) nor its operator key.
    error NotProviderKey(address provider, address caller);
    /// @notice A provider's self-stake would be `selfStake`, above zero and below `minimum`.
    error SelfStakeBelowMinimum(uint256 selfStake, uint256 minimum);
    /// @notice The staker asked to unstake `requested` shares and holds `available` bonded shares.
    error InsufficientShares(uint256 requested, uint256 available);
    /// @notice The staker has no unbonding request in this pool.
    error NothingToWithdraw();
    /// @notice The unbonding request ends at `unbondingEnd`; it is `nowTime`.
    error UnbondingNotFinished(uint256 unbondingEnd, uint256 nowTime);
    /// @notice The pool of `provider` has `openIncidents` open incidents: no new shares, no exits.
    error PoolFrozen(address provider, uint256 openIncidents);
    /// @notice The pool of `provider` was slashed to dust (a share is worth less than a millionth of its
    /// initial value); it takes no new stake.
    error PoolDepleted(address provider);
    /// @notice The token moved `received` to the contract when `expected` was asked for
    /// (fee-on-transfer and rebasing tokens are refused).
    error TransferAmountMismatch(uint256 expected, uint256 received);
    /// @notice A slash of `amount` exceeds the `poolAssets` of the pool.
    error SlashExceedsStake(uint256 amount, uint256 poolAssets);
    /// @notice The pool of `provider` has no open incident to unfreeze.
    error PoolNotFrozen(address provider);
    /// @notice An unbonding period of `value` seconds is outside [`min`, `max`].
    error UnbondingPeriodOutOfRange(uint256 value, uint256 min, uint256 max);
    /// @notice A jail end of `until` is not in the future.
    error JailNotInFuture(uint256 until);
    /// @notice An unbonding period of `unbonding` seconds does not outlast the `window` in which
    /// stake can still be slashed.
    error UnbondingTooShort(uint256 unbonding, uint256 window);
    /// @notice A metadata URI of `length` bytes is empty or longer than `maxLength`.
    error MetadataURILengthOutOfRange(uint256 length, uint256 maxLength);

    /* STRUCTS */

    /// @notice Derived status of a provider.
    enum ProviderStatus {
        /// Never registered.
        None,
        /// Registered, not jailed, self-stake at or above the minimum: takes work and delegations.
        Active,
        /// Registered and jailed until `jailedUntil`.
        Jailed,
        /// Permanently excluded.
        Tombstoned,
        /// Registered, not jailed, but its self-stake is below the minimum.
        BelowMinimum
    }

    /// @notice An offense as escalation counts it (per provider and violation class).
    struct Offense {
        /// Time of the offense (0: none).
        uint40 at;
        /// Its level after escalation.
        uint8 level;
    }

    /// @notice One incident in its provider's standing set. The set decides the provider's jail (the latest
    /// end among the jails that stand) and escalation records (per class, the latest offense that stands)
    /// exactly, whatever the order of overturns and recoveries: an overturn takes out offense and jail, a
    /// completed recovery the jail, any other close neither (they then stand for good). Up to
    /// `STANDING_SLOTS` per provider; a verdict beyond that settles early the entry whose jail ends first
    /// (closed entries and warnings first, then the earliest): its offense and jail then stand for good.
    struct Standing {
        /// The incident id's first 20 bytes.
        bytes20 tag;
        /// Time of execution.
        uint40 at;
        /// End of the jail it imposed (0: a warning, which jails and freezes nothing).
        uint40 jailEnd;
        /// Its level after escalation.
        uint8 level;
        /// Its violation class; with the `CLOSED` bit (0x80) the incident closed: its offense stands for
        /// good, its jail ended or went into the jail floor (the entry keeps its slot until one is needed).
        uint8 violationClass;
    }

    /// @notice What stands against a provider beyond its standing set, packed into one slot.
    struct StandingRecord {
        /// Latest end among the jails that stand for good.
        uint40 jailFloor;
        /// Start of the jail that ends at `jailFloor`.
        uint40 jailFloorFrom;
        /// Bit i set: standing slot i is in use.
        uint16 slots;
        /// Per violation class c, bits [48c, 48c + 40): time, [48c + 40, 48c + 48): level of the latest
        /// offense that stands (see {lastOffense}).
        uint144 offenses;
    }

    /// @notice A provider's registration, packed into one storage slot.
    struct Provider {
        /// Operator key: runs the node, appeals verdicts and files recovery claims.
        address operator;
        /// Unix time until which the provider is jailed (0: never jailed).
        uint64 jailedUntil;
        /// Open incidents of the pool; while non-zero the pool is frozen.
        uint16 openIncidents;
        /// Whether the provider registered.
        bool registered;
        /// Whether the provider is permanently excluded.
        bool tombstoned;
    }

    /// @notice A provider's pool, packed into one storage slot.
    struct Pool {
        /// Tokens that back the pool's shares (bonded and unbonding alike).
        uint128 assets;
        /// Shares outstanding (bonded and unbonding alike).
        uint128 shares;
    }

    /// @notice A staker's position in one pool, packed into one storage slot.
    struct Position {
        /// Bonded shares.
        uint112 shares;
        /// Shares waiting for the end of their unbonding period (still slashable).
        uint112 unbondingShares;
        /// Unix time at which `unbondingShares` may be withdrawn.
        uint32 unbondingEnd;
    }

    /// @notice Cap use in fixed buckets of `capWindow` seconds, packed into one slot (the system's, each
    /// provider's sub-cap use, and what each incident's collects booked). The use counted at time t is the current bucket's sum plus the
    /// previous bucket's sum weighted by the share of the window it still covers,
    /// `previous * (capWindow - t % capWindow) / capWindow`: so the part of one slash still counted is
    /// known exactly, and an overturn refunds exactly that. A change of `capWindow` starts the caps
    /// afresh: use booked until then no longer counts (buckets of another length cannot be carried over).
    struct CapUse {
        /// Time of the last booking (its bucket is `updatedAt / capWindow`).
        uint40 updatedAt;
        /// Booked in the bucket of `updatedAt`.
        uint104 current;
        /// Booked in the bucket before it.
        uint104 previous;
    }

    /// @notice The cap parameters, owned by the VerdictManager and passed with every call that books or
    /// refunds cap use: basis points of total stake and of the pool per `window` seconds, and `since`,
    /// before which booked use no longer counts (the time `window` last changed, plus one second).
    struct Caps {
        uint16 rateCapBps;
        uint16 providerCapBps;
        uint32 window;
        uint40 since;
    }

    /* EVENTS */

    /// @notice `provider` (the owner key) registered with `operator`, staking `assets` for `shares`.
    event ProviderRegistered(
        address indexed provider, address indexed operator, uint256 assets, uint256 shares, string metadataURI
    );
    /// @notice The operator key of `provider` changed.
    event OperatorChanged(address indexed provider, address indexed operator);
    /// @notice The metadata URI (the node's health endpoint) of `provider` changed.
    event MetadataURIChanged(address indexed provider, string metadataURI);
    /// @notice `staker` added `assets` to the pool of `provider` and received `shares`.
    event Staked(address indexed provider, address indexed staker, uint256 assets, uint256 shares);
    /// @notice `staker` started unbonding `shares` of the pool of `provider`; its whole unbonding
    /// balance (`totalUnbondingShares`) can be withdrawn from `unbondingEnd`.
    event UnstakeRequested(
        address indexed provider,
        address indexed staker,
        uint256 shares,
        uint256 totalUnbondingShares,
        uint256 unbondingEnd
    );
    /// @notice `staker` burned `shares` of the pool of `provider` and received `assets`.
    event Withdrawn(address indexed provider, address indexed staker, uint256 shares, uint256 assets);
    /// @notice `amount` of the pool of `provider` moved to `escrow`; the pool holds `poolAssets` after it.
    event Slashed(address indexed provider, address indexed escrow, uint256 amount, uint256 poolAssets);
    /// @notice `from` returned `amount` to the pool of `provider`; the pool holds `poolAssets` after it.
    event StakeReturned(address indexed provider, address indexed from, uint256 amount, uint256 poolAssets);
    /// @notice `provider` is jailed until `until`.
    event Jailed(address indexed provider, uint256 until);
    /// @notice The jail of `provider` was lifted early.
    event Unjailed(address indexed provider);
    /// @notice `provider` is permanently excluded.
    event Tombstoned(address indexed provider);
    /// @notice The pool of `provider` now has `openIncidents` open incidents (frozen while non-zero).
    event PoolFreezeChanged(address indexed provider, uint256 openIncidents);
    /// @notice The unbonding period is now `period` seconds.
    event UnbondingPeriodSet(uint256 period);
    /// @notice The minimum self-stake is now `amount`.
    event MinSelfStakeSet(uint256 amount);
    /// @notice The unbonding period must now outlast `source.slashableWindow()`.
    event SlashableWindowSourceSet(address indexed source);

    /* PROVIDERS */

    /// @notice Registers the caller (its owner key) as a provider and stakes `selfStake` tokens
    /// into its new pool. The caller must have approved the tokens.
    /// @param operator The operator key (node, appeals, claims).
    /// @param selfStake Tokens to stake; at least the minimum self-stake.
    /// @param metadataURI The node's health endpoint; kept in the event only. 1 to
    /// `MAX_METADATA_URI_BYTES` bytes (the CLI also refuses anything but visible ASCII).
    /// @return shares Shares minted to the provider.
    function registerProvider(address operator, uint256 selfStake, string calldata metadataURI)
        external
        returns (uint256 shares);

    /// @notice Changes the operator key. Only the provider's owner key.
    function setOperator(address operator) external;

    /// @notice Publishes a new metadata URI (1 to `MAX_METADATA_URI_BYTES` bytes). The provider's owner or
    /// operator key.
    function setMetadataURI(address provider, string calldata metadataURI) external;

    /* STAKE */

    /// @notice Stakes `assets` into the pool of `provider`: a self-stake top-up when the caller is the
    /// provider, a delegation otherwise (the provider must then be active). Refused while the pool is frozen.
    /// @return shares Shares minted to the caller, rounded down.
    function stake(address provider, uint256 assets) external returns (uint256 shares);

    /// @notice Starts unbonding `shares` of the caller's bonded shares in the pool of `provider`.
    /// Adding to an existing request restarts the unbonding period for the whole unbonding balance.
    /// A provider unstaking its own stake must keep at least the minimum self-stake or leave entirely.
    function requestUnstake(address provider, uint256 shares) external;

    /// @notice Burns the caller's unbonding shares of the pool of `provider` once the unbonding period has
    /// ended, and transfers their value at the pool's current price (after any slash). Refused while frozen.
    /// @return assets Tokens transferred, rounded down.
    function withdraw(address provider) external returns (uint256 assets);

    /* HOOKS */

    /// @notice Pulls `amount` tokens from the caller back into the pool of `provider`, to the benefit of
    /// every share holder pro rata (the provider's own position when nobody holds shares). Only `RETURNER_ROLE`.
    function returnStake(address provider, uint256 amount) external;

    /// @notice The response to an executed verdict in one call: adds `entry` to the standing set of
    /// `provider` (its offense becomes the class's escalation record); for a slashing verdict
    /// (`entry.jailEnd` non-zero) also counts one more open incident (pool frozen), jails `provider` until
    /// `entry.jailEnd` (a later jail wins) and moves `amount` (may be 0; at most `verdictContext`'s
    /// `capLeft`) of its pool to `escrow`, booking it on the caps. Only `SLASHER_ROLE`. Every staker of the
    /// pool, unbonding ones included, loses the same fraction.
    function penalize(address provider, uint256 amount, address escrow, Standing calldata entry, Caps calldata caps)
        external;

    /// @notice Takes `incidentId` out of the standing set of `provider`: overturned, its offense and jail
    /// go; closed, its offense stands for good, and its jail too unless `keepJail` is false (a completed
    /// recovery). The class's escalation record and the jail become the latest that still stand (an
    /// incident settled early is no longer in the set: nothing changes). Only `SLASHER_ROLE`.
    function unstand(address provider, bytes32 incidentId, bool overturned, bool keepJail) external;

    /// @notice Changes the level and jail of `entry.tag`'s incident in the standing set of `provider` (an
    /// incident settled early enters it again). `upgrade`: the jail extends to `entry.jailEnd` (a later
    /// jail wins), and with `freeze` (a warning that now jails) the pool counts one more open incident;
    /// otherwise (an
    /// overturned upgrade) the level and jail become exactly `entry`'s, and the provider's jail the latest
    /// that still stands. The class's escalation record follows. Only `SLASHER_ROLE`.
    /// @return previousJailEnd The entry's jail end before the call. @return found Whether the entry was in
    /// the standing set (an incident settled early was not: its offense and jail stand in the record).
    function restand(address provider, Standing calldata entry, bool upgrade, bool freeze)
        external
        returns (uint40 previousJailEnd, bool found);

    /// @notice Moves `amount` more of the frozen pool of `provider` to `escrow`: a remainder `incidentId`
    /// is owed (the caps cut its slash short); at most `slashingContext`'s `capLeft`. Booked on the caps
    /// and as a collect of `incidentId` (see {refundCaps}). Only `SLASHER_ROLE`; the pool must be frozen.
    function take(address provider, uint256 amount, address escrow, bytes32 incidentId, Caps calldata caps)
        external;

    /// @notice Takes off the caps (system and `provider`'s) exactly what the bookings of the overturned
    /// `incidentId` still count for: `executed` booked at `executedAt`, and up to `collects` of what was
    /// booked as its collects (the newest first). Only `SLASHER_ROLE`.
    function refundCaps(
        address provider,
        bytes32 incidentId,
        uint256 executedAt,
        uint256 executed,
        uint256 collects,
        Caps calldata caps
    ) external;


    /// @notice Excludes `provider` for good. Only `APPEALS_ROLE`.
    function tombstone(address provider) external;

    /// @notice Counts one open incident of the pool of `provider` as ended. Only `UNFREEZER_ROLE`.
    function unfreeze(address provider) external;

    /* GOVERNANCE */

    /// @notice Sets the unbonding period in seconds. Only `DEFAULT_ADMIN_ROLE`.
    function setUnbondingPeriod(uint32 period) external;

    /// @notice Sets the contract whose `slashableWindow()` the unbonding period must exceed
    /// (the verdict contract). Only `DEFAULT_ADMIN_ROLE`.
    function setSlashableWindowSource(address source) external;

    /// @notice Sets the minimum self-stake of a provider. Only `DEFAULT_ADMIN_ROLE`.
    function setMinSelfStake(uint96 amount) external;

    /* VIEWS */

    /// @notice The staked token.
    function token() external view returns (address);

    /// @notice The unbonding period in seconds.
    function unbondingPeriod() external view returns (uint32);

    /// @notice The minimum self-stake of an active provider.
    function minSelfStake() external view returns (uint96);

    /// @notice The contract whose `slashableWindow()` the unbonding period must exceed (0: none).
    function slashableWindowSource() external view returns (address);

    /// @notice Tokens held in all pools together.
    function totalStake() external view returns (uint256);

    /// @notice The registration of `provider`.
    function getProvider(address provider) external view returns (Provider memory);

    /// @notice The derived status of `provider`.
    function statusOf(address provider) external view returns (ProviderStatus);

    /// @notice The pool of `provider`.
    function getPool(address provider) external view returns (Pool memory);

    /// @notice What a collect from `provider` reads, in one call: its registration and what the caps let
    /// be slashed from its pool now (`capLeft`: at most the pool's assets).
    function slashingContext(address provider, Caps calldata caps)
        external
        view
        returns (Provider memory registration, uint256 capLeft);

    /// @notice What a verdict on `provider` of `violationClass` observed at `observedAt` reads, in one call:
    /// its registration, its pool's assets, what the caps let be slashed now, the class's escalation
    /// record and whether a jail that stands had started and was running at `observedAt`.
    function verdictContext(address provider, uint8 violationClass, uint64 observedAt, Caps calldata caps)
        external
        view
        returns (
            Provider memory registration,
            uint256 poolAssets,
            uint256 capLeft,
            Offense memory offense,
            bool jailedAtObservation
        );

    /// @notice The cap use booked for `provider` (its sub-cap), as stored.
    function capUseOf(address provider) external view returns (CapUse memory);

    /// @notice What the system-wide cap lets be slashed now.
    function capAvailable(Caps calldata caps) external view returns (uint256);

    /// @notice The escalation record of `provider` in `violationClass`: its latest offense that stands.
    function lastOffense(address provider, uint8 violationClass) external view returns (Offense memory);

    /// @notice The standing record of `provider` and the entries of its standing set, by slot.
    function standingOf(address provider)
        external
        view
        returns (StandingRecord memory record, Standing[] memory entries);

    /// @notice The position of `staker` in the pool of `provider`.
    function getPosition(address provider, address staker) external view returns (Position memory);

    /// @notice The value in tokens of `shares` of the pool of `provider`, rounded down.
    function convertToAssets(address provider, uint256 shares) external view returns (uint256);

    /// @notice The shares that staking `assets` into the pool of `provider` would mint, rounded down.
    function previewStake(address provider, uint256 assets) external view returns (uint256);

    /// @notice The value in tokens of the bonded shares of `provider` in its own pool.
    function selfStakeOf(address provider) external view returns (uint256);
}
