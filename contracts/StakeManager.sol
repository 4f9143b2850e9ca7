// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {SafeDeposit} from "./libraries/SafeDeposit.sol";
import {SharesMath} from "./libraries/SharesMath.sol";

/// @dev The one view the StakeManager needs from the verdict contract.
interface ISlashableWindow {
    function slashableWindow() external view returns (uint256);
}

/// @title StakeManager
/// @notice Per-provider share pools of ERC-20 stake with delegation, unbonding, jailing and
/// incident freezes. See {IStakeManager}.
contract StakeManager is IStakeManager, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    bytes32 public constant RETURNER_ROLE = keccak256("RETURNER_ROLE");
    bytes32 public constant UNFREEZER_ROLE = keccak256("UNFREEZER_ROLE");
    bytes32 public constant APPEALS_ROLE = keccak256("APPEALS_ROLE");

    uint256 public constant MIN_UNBONDING_PERIOD = 1;
    uint256 public constant MAX_UNBONDING_PERIOD = 365 days;
    /// @notice Longest metadata URI, in bytes (the CLI's bound, `swarm_stake.models.MAX_METADATA_URI_BYTES`).
    uint256 public constant MAX_METADATA_URI_BYTES = 256;

    IERC20 private immutable _token;

    /// @dev Read and written together on hot paths: one slot.
    uint96 private _minSelfStake;
    uint32 private _unbondingPeriod;
    uint128 private _totalStake;

    /// @dev The verdict contract: its `slashableWindow()` bounds the unbonding period from below.
    address private _slashableWindowSource;

    /// @notice Incidents per provider whose offense and jail an overturn or a recovery can still take out.
    uint256 public constant STANDING_SLOTS = 12;
    uint256 private constant ALL_SLOTS = (1 << STANDING_SLOTS) - 1;
    /// @notice Set in `Standing.violationClass`: the incident closed; its offense stands for good and its
    /// jail ended (a completed recovery) or went into the jail floor. It keeps its slot until one is needed.
    uint8 public constant CLOSED = 0x80;

    mapping(address provider => Provider) private _providers;
    mapping(address provider => StandingRecord) private _records;
    mapping(address provider => mapping(uint256 slot => Standing)) private _standing;
    /// @dev Per class, the latest offense that stands for good (no longer in the standing set).
    mapping(address provider => mapping(uint256 violationClass => Offense)) private _settled;
    mapping(address provider => Pool) private _pools;
    mapping(address provider => mapping(address staker => Position)) private _positions;

    /// @dev System-wide cap use, each provider's, and per incident what its collects booked (see {CapUse}).
    CapUse private _capUse;
    mapping(address provider => CapUse) private _capUses;
    mapping(bytes32 incidentId => CapUse) private _collects;

    uint256 private constant BPS = 10_000;

    constructor(IERC20 token_, address admin, uint32 unbondingPeriod_, uint96 minSelfStake_) {
        if (address(token_) == address(0) || admin == address(0)) revert ZeroAddress();
        _token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setUnbondingPeriod(unbondingPeriod_);
        _minSelfStake = minSelfStake_;
        emit MinSelfStakeSet(minSelfStake_);
    }

    /* PROVIDERS */

    /// @inheritdoc IStakeManager
    function registerProvider(address operator, uint256 selfStake, string calldata metadataURI)
        external
        nonReentrant
        returns (uint256 shares)
    {
        if (operator == address(0)) revert ZeroAddress();
        if (_providers[msg.sender].registered) revert ProviderAlreadyRegistered(msg.sender);
        if (selfStake == 0) revert ZeroAmount();
        _checkMetadataURI(metadataURI);
        uint256 minimum = _minSelfStake;
        if (selfStake < minimum) revert SelfStakeBelowMinimum(selfStake, minimum);

        _providers[msg.sender] =
            Provider({operator: operator, jailedUntil: 0, openIncidents: 0, registered: true, tombstoned: false});
        shares = _mintShares(msg.sender, msg.sender, selfStake);
        emit ProviderRegistered(msg.sender, operator, selfStake, shares, metadataURI);
        _pullExact(selfStake);
    }

    /// @inheritdoc IStakeManager
    function setOperator(address operator) external {
        if (operator == address(0)) revert ZeroAddress();
        Provider storage provider = _registered(msg.sender);
        provider.operator = operator;
        emit OperatorChanged(msg.sender, operator);
    }

    /// @inheritdoc IStakeManager
    function setMetadataURI(address provider, string calldata metadataURI) external {
        Provider storage p = _registered(provider);
        if (msg.sender != provider && msg.sender != p.operator) revert NotProviderKey(provider, msg.sender);
        _checkMetadataURI(metadataURI);
        emit MetadataURIChanged(provider, metadataURI);
    }

    /* STAKE */

    /// @inheritdoc IStakeManager
    function stake(address provider, uint256 assets) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        Provider memory p = _registered(provider);
        if (p.tombstoned) revert ProviderTombstoned(provider);
        if (p.openIncidents != 0) revert PoolFrozen(provider, p.openIncidents);
        if (msg.sender != provider && (p.jailedUntil > block.timestamp || _selfStakeOf(provider) < _minSelfStake)) {
            revert ProviderNotActive(provider);
        }

        shares = _mintShares(provider, msg.sender, assets);
        emit Staked(provider, msg.sender, assets, shares);
        _pullExact(assets);
    }

    /// @inheritdoc IStakeManager
    function requestUnstake(address provider, uint256 shares) external {
        if (shares == 0) revert ZeroAmount();
        _registered(provider);
        Position memory position = _positions[provider][msg.sender];
        if (shares > position.shares) revert InsufficientShares(shares, position.shares);

        uint256 remaining = position.shares - shares;
        if (msg.sender == provider && remaining != 0) {
            Pool memory pool = _pools[provider];
            uint256 remainingAssets = SharesMath.toAssetsDown(remaining, pool.assets, pool.shares);
            uint256 minimum = _minSelfStake;
            if (remainingAssets < minimum) revert SelfStakeBelowMinimum(remainingAssets, minimum);
        }

        uint256 unbondingEnd = block.timestamp + _unbondingPeriod;
        position.shares = uint112(remaining);
        position.unbondingShares = (position.unbondingShares + shares).toUint112();
        position.unbondingEnd = unbondingEnd.toUint32();
        _positions[provider][msg.sender] = position;
        emit UnstakeRequested(provider, msg.sender, shares, position.unbondingShares, unbondingEnd);
    }

    /// @inheritdoc IStakeManager
    function withdraw(address provider) external nonReentrant returns (uint256 assets) {
        Provider memory p = _registered(provider);
        if (p.openIncidents != 0) revert PoolFrozen(provider, p.openIncidents);
        Position memory position = _positions[provider][msg.sender];
        uint256 shares = position.unbondingShares;
        if (shares == 0) revert NothingToWithdraw();
        if (block.timestamp < position.unbondingEnd) {
            revert UnbondingNotFinished(position.unbondingEnd, block.timestamp);
        }

        Pool memory pool = _pools[provider];
        assets = SharesMath.toAssetsDown(shares, pool.assets, pool.shares);
        // assets < pool.assets + 1 and shares <= pool.shares: neither subtraction can underflow.
        _pools[provider] = Pool({assets: pool.assets - uint128(assets), shares: pool.shares - uint128(shares)});
        position.unbondingShares = 0;
        position.unbondingEnd = 0;
        _positions[provider][msg.sender] = position;
        _totalStake -= uint128(assets); // assets <= pool.assets <= _totalStake

        emit Withdrawn(provider, msg.sender, shares, assets);
        if (assets != 0) _token.safeTransfer(msg.sender, assets);
    }

    /* HOOKS */

    function _slash(address provider, uint256 amount, address escrow) private {
        Pool storage pool = _pools[provider];
        uint256 poolAssets = pool.assets;
        if (amount > poolAssets) revert SlashExceedsStake(amount, poolAssets);

        unchecked {
            poolAssets -= amount;
        }
        pool.assets = uint128(poolAssets);
        _totalStake -= uint128(amount); // amount <= pool assets <= _totalStake

        emit Slashed(provider, escrow, amount, poolAssets);
        _token.safeTransfer(escrow, amount);
    }

    /// @inheritdoc IStakeManager
    function returnStake(address provider, uint256 amount) external onlyRole(RETURNER_ROLE) nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _registered(provider);
        Pool storage pool = _pools[provider];
        if (pool.shares == 0) {
            // Nobody holds shares: the provider's own position receives them, not the next depositor.
            uint256 shares = SharesMath.toSharesDown(amount, pool.assets, 0);
            pool.shares = shares.toUint128();
            _positions[provider][provider].shares = shares.toUint112();
        }
        uint256 poolAssets = pool.assets + amount;
        pool.assets = poolAssets.toUint128();
        _totalStake = (_totalStake + amount).toUint128();

        emit StakeReturned(provider, msg.sender, amount, poolAssets);
        _pullExact(amount);
    }

    /// @inheritdoc IStakeManager
    function penalize(address provider, uint256 amount, address escrow, Standing calldata entry, Caps calldata caps)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
    {
        Provider storage p = _registered(provider);
        StandingRecord memory record = _records[provider];
        _stand(provider, record, entry);
        _records[provider] = record;
        uint64 jailUntil = entry.jailEnd;
        if (jailUntil == 0) return; // a warning: an offense that jails and freezes nothing
        if (escrow == address(0)) revert ZeroAddress();
        if (jailUntil <= block.timestamp) revert JailNotInFuture(jailUntil);
        uint16 openIncidents = p.openIncidents + 1;
        p.openIncidents = openIncidents;
        if (jailUntil > p.jailedUntil) p.jailedUntil = jailUntil;
        emit PoolFreezeChanged(provider, openIncidents);
        emit Jailed(provider, p.jailedUntil);
        if (amount != 0) {
            _book(provider, amount, caps);
            _slash(provider, amount, escrow);
        }
    }

    /// @inheritdoc IStakeManager
    function unstand(address provider, bytes32 incidentId, bool overturned, bool keepJail)
        external
        onlyRole(SLASHER_ROLE)
    {
        Provider storage p = _registered(provider);
        StandingRecord memory record = _records[provider];
        (bool found, uint256 slot, Standing memory entry) = _find(provider, record.slots, incidentId);
        if (!found) return; // settled early: it stands for good
        if (overturned) {
            record.slots = uint16(record.slots & ~(1 << slot));
        } else {
            // Closed: the offense stays in its slot for good (no new slot written); the jail ends, or
            // stands for good in the floor.
            if (keepJail && entry.jailEnd > record.jailFloor) {
                (record.jailFloor, record.jailFloorFrom) = (entry.jailEnd, entry.at);
            }
            _standing[provider][slot] = Standing(entry.tag, entry.at, 0, entry.level, entry.violationClass | CLOSED);
        }
        (uint256 jailEnd, Offense memory best) = _standingAfter(provider, record, entry.violationClass);
        if (overturned) record.offenses = _withOffense(record.offenses, entry.violationClass, best);
        _records[provider] = record;
        if (entry.jailEnd > block.timestamp && entry.jailEnd > jailEnd) {
            p.jailedUntil = uint64(jailEnd);
            if (jailEnd > block.timestamp) emit Jailed(provider, jailEnd);
            else emit Unjailed(provider);
        }
    }

    /// @inheritdoc IStakeManager
    function restand(address provider, Standing calldata entry, bool upgrade, bool freeze)
        external
        onlyRole(SLASHER_ROLE)
        returns (uint40 previousJailEnd, bool found)
    {
        Provider storage p = _registered(provider);
        uint40 jailEnd;
        uint256 standingJail;
        (previousJailEnd, found, jailEnd, standingJail) = _restandEntry(provider, entry, upgrade);
        if (upgrade) {
            if (jailEnd <= block.timestamp) revert JailNotInFuture(jailEnd);
            if (freeze) {
                uint16 openIncidents = p.openIncidents + 1;
                p.openIncidents = openIncidents;
                emit PoolFreezeChanged(provider, openIncidents);
            }
            if (jailEnd > p.jailedUntil) {
                p.jailedUntil = jailEnd;
                emit Jailed(provider, jailEnd);
            }
        } else if (previousJailEnd > block.timestamp && previousJailEnd > standingJail) {
            p.jailedUntil = uint64(standingJail);
            if (standingJail > block.timestamp) emit Jailed(provider, standingJail);
            else emit Unjailed(provider);
        }
    }

    /// @dev The standing-set half of {restand}: the entry rewritten (or entered again), the class's
    /// escalation record recomputed. Returns the entry's jail end before and after, whether it was in the
    /// set, and the latest jail that stands now.
    function _restandEntry(address provider, Standing calldata entry, bool upgrade)
        private
        returns (uint40 previousJailEnd, bool found, uint40 jailEnd, uint256 standingJail)
    {
        StandingRecord memory record = _records[provider];
        uint256 slot;
        Standing memory old;
        (found, slot, old) = _find(provider, record.slots, bytes32(entry.tag));
        jailEnd = entry.jailEnd;
        if (found) {
            previousJailEnd = old.jailEnd;
            if (upgrade && previousJailEnd > jailEnd) jailEnd = previousJailEnd;
            _standing[provider][slot] = Standing(old.tag, old.at, jailEnd, entry.level, old.violationClass);
        } else {
            _stand(provider, record, entry); // nothing to extend: its jail end is `entry`'s
        }
        Offense memory best;
        (standingJail, best) = _standingAfter(provider, record, entry.violationClass);
        record.offenses = _withOffense(record.offenses, entry.violationClass, best);
        _records[provider] = record;
    }

    /// @dev The slot and entry of `incidentId` in the standing set of `provider` (`slots` in use), unless
    /// it closed.
    function _find(address provider, uint256 slots, bytes32 incidentId)
        private
        view
        returns (bool found, uint256 slot, Standing memory entry)
    {
        for (slot = 0; slot < STANDING_SLOTS; ++slot) {
            if (slots & (1 << slot) == 0) continue;
            entry = _standing[provider][slot];
            if (entry.tag == bytes20(incidentId) && entry.violationClass & CLOSED == 0) return (true, slot, entry);
        }
    }

    /// @dev What still stands against `provider` once `record` is updated: the latest jail end, and the
    /// latest offense of `violationClass`.
    function _standingAfter(address provider, StandingRecord memory record, uint8 violationClass)
        private
        view
        returns (uint256 jailEnd, Offense memory best)
    {
        jailEnd = record.jailFloor;
        best = _settled[provider][violationClass];
        for (uint256 i = 0; i < STANDING_SLOTS; ++i) {
            if (record.slots & (1 << i) == 0) continue;
            Standing memory other = _standing[provider][i];
            if (other.jailEnd > jailEnd) jailEnd = other.jailEnd;
            if (other.violationClass & ~CLOSED == violationClass && _later(other.at, other.level, best)) {
                best = Offense(other.at, other.level);
            }
        }
    }

    /// @dev Adds `entry` to the standing set of `provider` (into `record`, stored by the caller); a full
    /// set first settles the entry whose jail ends first (closed entries and warnings first, then the
    /// earliest).
    function _stand(address provider, StandingRecord memory record, Standing calldata entry) private {
        uint256 slots = record.slots;
        uint256 slot = 0;
        if (slots == ALL_SLOTS) {
            Standing memory victim = _standing[provider][0];
            for (uint256 i = 1; i < STANDING_SLOTS; ++i) {
                Standing memory other = _standing[provider][i];
                if (other.jailEnd < victim.jailEnd || (other.jailEnd == victim.jailEnd && other.at < victim.at)) {
                    (victim, slot) = (other, i);
                }
            }
            _settle(provider, record, victim);
        } else {
            while (slots & (1 << slot) != 0) ++slot;
        }
        _standing[provider][slot] = entry;
        record.slots = uint16(slots | (1 << slot));
        // At the same time, a repeat whose escalated row is disabled can fall back below the offense it
        // repeats: the record keeps the later one, which at equal times is the higher level.
        if (_later(entry.at, entry.level, _offenseOf(record.offenses, entry.violationClass))) {
            record.offenses = _withOffense(record.offenses, entry.violationClass, Offense(entry.at, entry.level));
        }
    }

    /// @dev Folds `entry`, leaving its slot, into what stands for good: its offense into its class's settled
    /// record, its jail into the jail floor.
    function _settle(address provider, StandingRecord memory record, Standing memory entry) private {
        if (entry.jailEnd > record.jailFloor) (record.jailFloor, record.jailFloorFrom) = (entry.jailEnd, entry.at);
        uint8 violationClass = entry.violationClass & ~CLOSED;
        if (_later(entry.at, entry.level, _settled[provider][violationClass])) {
            _settled[provider][violationClass] = Offense(entry.at, entry.level);
        }
    }

    /// @dev Whether an offense at `at` of `level` is later than `than` (at the same time, the higher level
    /// is the later: it escalated from the other).
    function _later(uint40 at, uint8 level, Offense memory than) private pure returns (bool) {
        return at > than.at || (at == than.at && level > than.level);
    }

    function _offenseOf(uint144 offenses, uint256 violationClass) private pure returns (Offense memory) {
        uint256 bits = offenses >> (48 * violationClass);
        return Offense(uint40(bits), uint8(bits >> 40));
    }

    function _withOffense(uint144 offenses, uint256 violationClass, Offense memory offense)
        private
        pure
        returns (uint144)
    {
        uint256 shift = 48 * violationClass;
        uint256 cleared = uint256(offenses) & ~(uint256(type(uint48).max) << shift);
        return uint144(cleared | ((uint256(offense.at) | (uint256(offense.level) << 40)) << shift));
    }

    /// @inheritdoc IStakeManager
    function take(address provider, uint256 amount, address escrow, bytes32 incidentId, Caps calldata caps)
        external
        onlyRole(SLASHER_ROLE)
        nonReentrant
    {
        if (escrow == address(0)) revert ZeroAddress();
        Provider storage p = _registered(provider);
        if (p.openIncidents == 0) revert PoolNotFrozen(provider);
        _book(provider, amount, caps);
        CapUse memory booked = _collects[incidentId];
        _roll(booked, caps);
        booked.current += uint104(amount);
        _collects[incidentId] = booked;
        _slash(provider, amount, escrow);
    }

    /// @inheritdoc IStakeManager
    function refundCaps(
        address provider,
        bytes32 incidentId,
        uint256 executedAt,
        uint256 executed,
        uint256 collects,
        Caps calldata caps
    ) external onlyRole(SLASHER_ROLE) {
        uint256 bucket = block.timestamp / caps.window;
        CapUse memory stored = _collects[incidentId];
        _roll(stored, caps);
        // The newest collects first: the current bucket, then the previous one.
        uint256 current = Math.min(collects, stored.current);
        CapUse memory booked = CapUse(0, uint104(current), uint104(Math.min(collects - current, stored.previous)));
        if (booked.current != 0 || booked.previous != 0) {
            stored.current -= booked.current;
            stored.previous -= booked.previous;
            _collects[incidentId] = stored;
        }
        uint256 executedBucket = executedAt / caps.window;
        if (executedAt >= caps.since) {
            if (executedBucket == bucket) booked.current += uint104(executed);
            else if (executedBucket + 1 == bucket) booked.previous += uint104(executed);
        }
        CapUse memory use = _capUses[provider];
        _unbook(use, booked, caps);
        _capUses[provider] = use;
        use = _capUse;
        _unbook(use, booked, caps);
        _capUse = use;
    }

    /// @dev Books `amount` on the system-wide cap and on the sub-cap of `provider`.
    function _book(address provider, uint256 amount, Caps calldata caps) private {
        CapUse memory use = _capUse;
        _roll(use, caps);
        use.current += uint104(amount);
        _capUse = use;
        use = _capUses[provider];
        _roll(use, caps);
        use.current += uint104(amount);
        _capUses[provider] = use;
    }

    /// @dev Rolls `use` to now and takes `booked` (rolled to now) off it.
    function _unbook(CapUse memory use, CapUse memory booked, Caps calldata caps) private view {
        _roll(use, caps);
        use.current = use.current > booked.current ? use.current - booked.current : 0;
        use.previous = use.previous > booked.previous ? use.previous - booked.previous : 0;
    }

    /// @dev Moves `use` to the bucket of now (what was booked two or more buckets ago, or before
    /// `caps.since`, no longer counts) and returns the use counted now (see {CapUse}).
    function _roll(CapUse memory use, Caps calldata caps) private view returns (uint256 used) {
        uint256 window = caps.window;
        uint256 bucket = block.timestamp / window;
        uint256 last = use.updatedAt / window;
        if (use.updatedAt < caps.since) {
            (use.current, use.previous) = (0, 0);
        } else if (last != bucket) {
            (use.current, use.previous) = (0, last + 1 == bucket ? use.current : 0);
        }
        use.updatedAt = uint40(block.timestamp);
        return use.current + use.previous * (window - block.timestamp % window) / window;
    }

    /// @dev What the caps (system and `provider`'s, whose pool holds `poolAssets`) let be slashed now.
    function _capLeft(address provider, uint256 poolAssets, Caps calldata caps) private view returns (uint256 left) {
        uint256 systemUsed = _roll(_capUse, caps);
        uint256 providerUsed = _roll(_capUses[provider], caps);
        uint256 systemCap = uint256(_totalStake) * caps.rateCapBps / BPS;
        uint256 providerCap = poolAssets * caps.providerCapBps / BPS;
        left = poolAssets;
        if (systemCap < systemUsed + left) left = systemCap > systemUsed ? systemCap - systemUsed : 0;
        if (providerCap < providerUsed + left) left = providerCap > providerUsed ? providerCap - providerUsed : 0;
    }

    /// @inheritdoc IStakeManager
    function tombstone(address provider) external onlyRole(APPEALS_ROLE) {
        Provider storage p = _registered(provider);
        if (p.tombstoned) revert ProviderTombstoned(provider);
        p.tombstoned = true;
        emit Tombstoned(provider);
    }

    /// @inheritdoc IStakeManager
    function unfreeze(address provider) external onlyRole(UNFREEZER_ROLE) {
        Provider storage p = _registered(provider);
        uint16 openIncidents = p.openIncidents;
        if (openIncidents == 0) revert PoolNotFrozen(provider);
        unchecked {
            --openIncidents;
        }
        p.openIncidents = openIncidents;
        emit PoolFreezeChanged(provider, openIncidents);
    }

    /* GOVERNANCE */

    /// @inheritdoc IStakeManager
    function setUnbondingPeriod(uint32 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingPeriod(period);
    }

    /// @inheritdoc IStakeManager
    function setSlashableWindowSource(address source) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _slashableWindowSource = source;
        if (source != address(0)) _checkUnbondingOutlastsSlashing(_unbondingPeriod);
        emit SlashableWindowSourceSet(source);
    }

    /// @inheritdoc IStakeManager
    function setMinSelfStake(uint96 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _minSelfStake = amount;
        emit MinSelfStakeSet(amount);
    }

    /* VIEWS */

    /// @inheritdoc IStakeManager
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IStakeManager
    function unbondingPeriod() external view returns (uint32) {
        return _unbondingPeriod;
    }

    /// @inheritdoc IStakeManager
    function minSelfStake() external view returns (uint96) {
        return _minSelfStake;
    }

    /// @inheritdoc IStakeManager
    function slashableWindowSource() external view returns (address) {
        return _slashableWindowSource;
    }

    /// @inheritdoc IStakeManager
    function totalStake() external view returns (uint256) {
        return _totalStake;
    }

    /// @inheritdoc IStakeManager
    function getProvider(address provider) external view returns (Provider memory) {
        return _providers[provider];
    }

    /// @inheritdoc IStakeManager
    function statusOf(address provider) external view returns (ProviderStatus) {
        Provider memory p = _providers[provider];
        if (!p.registered) return ProviderStatus.None;
        if (p.tombstoned) return ProviderStatus.Tombstoned;
        if (p.jailedUntil > block.timestamp) return ProviderStatus.Jailed;
        if (_selfStakeOf(provider) < _minSelfStake) return ProviderStatus.BelowMinimum;
        return ProviderStatus.Active;
    }

    /// @inheritdoc IStakeManager
    function getPool(address provider) external view returns (Pool memory) {
        return _pools[provider];
    }

    /// @inheritdoc IStakeManager
    function slashingContext(address provider, Caps calldata caps)
        external
        view
        returns (Provider memory registration, uint256 capLeft)
    {
        return (_providers[provider], _capLeft(provider, _pools[provider].assets, caps));
    }

    /// @inheritdoc IStakeManager
    function capUseOf(address provider) external view returns (CapUse memory) {
        return _capUses[provider];
    }

    /// @inheritdoc IStakeManager
    function capAvailable(Caps calldata caps) external view returns (uint256) {
        uint256 used = _roll(_capUse, caps);
        uint256 cap = uint256(_totalStake) * caps.rateCapBps / BPS;
        return cap > used ? cap - used : 0;
    }

    /// @inheritdoc IStakeManager
    function verdictContext(address provider, uint8 violationClass, uint64 observedAt, Caps calldata caps)
        external
        view
        returns (
            Provider memory registration,
            uint256 poolAssets,
            uint256 capLeft,
            Offense memory offense,
            bool jailedAtObservation
        )
    {
        registration = _providers[provider];
        StandingRecord memory record = _records[provider];
        offense = _offenseOf(record.offenses, violationClass);
        if (registration.jailedUntil > observedAt) {
            jailedAtObservation = record.jailFloorFrom <= observedAt && observedAt < record.jailFloor;
            for (uint256 i; i < STANDING_SLOTS && !jailedAtObservation; ++i) {
                if (record.slots & (1 << i) == 0) continue;
                Standing memory entry = _standing[provider][i];
                jailedAtObservation = entry.at <= observedAt && observedAt < entry.jailEnd;
            }
        }
        poolAssets = _pools[provider].assets;
        capLeft = _capLeft(provider, poolAssets, caps);
    }

    /// @inheritdoc IStakeManager
    function lastOffense(address provider, uint8 violationClass) external view returns (Offense memory) {
        return _offenseOf(_records[provider].offenses, violationClass);
    }

    /// @inheritdoc IStakeManager
    function standingOf(address provider)
        external
        view
        returns (StandingRecord memory record, Standing[] memory entries)
    {
        record = _records[provider];
        entries = new Standing[](STANDING_SLOTS);
        for (uint256 i; i < STANDING_SLOTS; ++i) {
            if (record.slots & (1 << i) != 0) entries[i] = _standing[provider][i];
        }
    }

    /// @inheritdoc IStakeManager
    function getPosition(address provider, address staker) external view returns (Position memory) {
        return _positions[provider][staker];
    }

    /// @inheritdoc IStakeManager
    function convertToAssets(address provider, uint256 shares) external view returns (uint256) {
        Pool memory pool = _pools[provider];
        return SharesMath.toAssetsDown(shares, pool.assets, pool.shares);
    }

    /// @inheritdoc IStakeManager
    function previewStake(address provider, uint256 assets) external view returns (uint256) {
        Pool memory pool = _pools[provider];
        if (SharesMath.isDepleted(pool.assets, pool.shares)) return 0;
        return SharesMath.toSharesDown(assets, pool.assets, pool.shares);
    }

    /// @inheritdoc IStakeManager
    function selfStakeOf(address provider) external view returns (uint256) {
        return _selfStakeOf(provider);
    }

    /* INTERNAL */

    function _registered(address provider) private view returns (Provider storage p) {
        p = _providers[provider];
        if (!p.registered) revert ProviderNotRegistered(provider);
    }

    /// @dev A metadata URI is non-empty and at most `MAX_METADATA_URI_BYTES` bytes long.
    function _checkMetadataURI(string calldata metadataURI) private pure {
        uint256 length = bytes(metadataURI).length;
        if (length == 0 || length > MAX_METADATA_URI_BYTES) {
            revert MetadataURILengthOutOfRange(length, MAX_METADATA_URI_BYTES);
        }
    }

    function _selfStakeOf(address provider) private view returns (uint256) {
        Pool memory pool = _pools[provider];
        return SharesMath.toAssetsDown(_positions[provider][provider].shares, pool.assets, pool.shares);
    }

    /// @dev Effects of a deposit; the caller pulls the tokens afterwards.
    function _mintShares(address provider, address staker, uint256 assets) private returns (uint256 shares) {
        Pool memory pool = _pools[provider];
        if (SharesMath.isDepleted(pool.assets, pool.shares)) revert PoolDepleted(provider);
        shares = SharesMath.toSharesDown(assets, pool.assets, pool.shares);
        if (shares == 0) revert ZeroShares();

        _pools[provider] = Pool({assets: (pool.assets + assets).toUint128(), shares: (pool.shares + shares).toUint128()});
        Position storage position = _positions[provider][staker];
        position.shares = (position.shares + shares).toUint112();
        _totalStake = (_totalStake + assets).toUint128();
    }

    /// @dev Pulls `amount` from the caller and checks that exactly `amount` arrived.
    function _pullExact(uint256 amount) private {
        uint256 received = SafeDeposit.pull(_token, msg.sender, amount);
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }

    function _setUnbondingPeriod(uint32 period) private {
        if (period < MIN_UNBONDING_PERIOD || period > MAX_UNBONDING_PERIOD) {
            revert UnbondingPeriodOutOfRange(period, MIN_UNBONDING_PERIOD, MAX_UNBONDING_PERIOD);
        }
        if (_slashableWindowSource != address(0)) _checkUnbondingOutlastsSlashing(period);
        _unbondingPeriod = period;
        emit UnbondingPeriodSet(period);
    }

    function _checkUnbondingOutlastsSlashing(uint256 period) private view {
        uint256 window = ISlashableWindow(_slashableWindowSource).slashableWindow();
        if (period <= window) revert UnbondingTooShort(period, window);
    }
}
