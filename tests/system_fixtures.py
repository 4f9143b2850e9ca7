"""Fixtures of the whole swarm-stake system, deployed by the real deployment plan.

`system` deploys every contract with swarm_stake.deploy.plan (the plan the devnet and the Ape
deploy script run), so admin roles end with the timelock exactly as on a real network. Then
the oracles bond, a 3-of-5 committee is seated through the timelock, two providers register
and three delegators stake with provider A. Verdicts are signed with eth-account keys derived
from the test mnemonic (the same keys as Ape's test accounts).
"""

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from swarm_stake.deploy import (
    ApeExecutor,
    DeployParams,
    LimitParams,
    RecoveryParamsModel,
    WindowParams,
    execute,
    plan,
)
from swarm_stake.devnet import dev_account
from swarm_stake.models import AuditProof, Level, RestorationAttestation, Verdict, ViolationClass, incident_id
from swarm_stake.signing import sign

TOKEN = 10**18
HOUR = 3600
DAY = 86400
ZERO32 = b"\x00" * 32

SYSTEM_WINDOWS = WindowParams(
    max_verdict_age=HOUR,
    execution_grace=10 * 60,
    appeal_window=DAY,
    appeal_resolution=2 * DAY,
    lookback=30 * DAY,
    bucket_length=HOUR,
    max_pause=HOUR,
    pause_cooldown=3 * HOUR,
)
SYSTEM_LIMITS = LimitParams(
    appeal_bond=100 * TOKEN, oracle_penalty=50 * TOKEN, rate_cap_bps=1_000, provider_cap_bps=5_000, cap_window=DAY
)
SYSTEM_RECOVERY = RecoveryParamsModel(
    claim_window=7 * DAY, epoch_length=HOUR, epochs_required=3, challenge_window=DAY, max_lifetime=30 * DAY,
    attestation_grace=HOUR // 2,
)
SYSTEM_UNBONDING = 7 * DAY
SYSTEM_MIN_SELF_STAKE = 1_000 * TOKEN
SYSTEM_MIN_BOND = 1_000 * TOKEN
PROVIDER_A_STAKE = 10_000 * TOKEN
PROVIDER_B_STAKE = 5_000 * TOKEN
DELEGATIONS = (3_000 * TOKEN, 2_000 * TOKEN, 1_000 * TOKEN)

# Account roles (indices into Ape's test accounts, the same as the test mnemonic's keys).
GOV, PROVIDER_A, OPERATOR_A, PROVIDER_B, OPERATOR_B = 0, 1, 2, 3, 4
DELEGATOR_INDICES = (5, 6, 7)
ARBITER, GUARDIAN = 8, 9
ORACLE_INDICES = (10, 11, 12, 13, 14)
OUTSIDER = 15
AUDITOR = 16


def system_params() -> DeployParams:
    return DeployParams(
        unbonding_period=SYSTEM_UNBONDING,
        min_self_stake=SYSTEM_MIN_SELF_STAKE,
        min_oracle_bond=SYSTEM_MIN_BOND,
        windows=SYSTEM_WINDOWS,
        limits=SYSTEM_LIMITS,
        recovery=SYSTEM_RECOVERY,
        timelock_delay=0,
    )


@dataclass
class System:
    """The deployed contracts (Ape instances), the actors and helpers to sign and govern."""

    chain: Any
    accounts: Any
    contracts: dict[str, Any]
    epoch: int = 1
    _keys: dict[int, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.contracts[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    # actors
    @property
    def gov(self):
        return self.accounts[GOV]

    @property
    def provider_a(self):
        return self.accounts[PROVIDER_A]

    @property
    def operator_a(self):
        return self.accounts[OPERATOR_A]

    @property
    def provider_b(self):
        return self.accounts[PROVIDER_B]

    @property
    def operator_b(self):
        return self.accounts[OPERATOR_B]

    @property
    def delegators(self):
        return [self.accounts[i] for i in DELEGATOR_INDICES]

    @property
    def arbiter(self):
        return self.accounts[ARBITER]

    @property
    def guardian(self):
        return self.accounts[GUARDIAN]

    @property
    def oracles(self):
        return [self.accounts[i] for i in ORACLE_INDICES]

    @property
    def outsider(self):
        return self.accounts[OUTSIDER]

    @property
    def auditor(self):
        return self.accounts[AUDITOR]

    def key(self, account) -> Any:
        """The eth-account key of an Ape test account."""
        index = next(i for i in range(len(self.accounts)) if self.accounts[i].address == account.address)
        if index not in self._keys:
            self._keys[index] = dev_account(index)
        return self._keys[index]

    # verdicts
    def verdict(
        self,
        provider=None,
        violation_class: ViolationClass = ViolationClass.POOR_PERFORMANCE,
        severity: Level = Level.PENALTY,
        *,
        observed_at: int | None = None,
        deadline: int | None = None,
        epoch: int | None = None,
        evidence: bytes | None = None,
        incident: str | None = None,
    ) -> Verdict:
        """A verdict observed just now (by default) with the derived incident id and the longest deadline."""
        provider = provider or self.provider_a
        now = self.chain.pending_timestamp
        observed_at = now - 60 if observed_at is None else observed_at
        deadline = observed_at + SYSTEM_WINDOWS.max_verdict_age if deadline is None else deadline
        return Verdict(
            incident_id=incident
            or incident_id(provider.address, violation_class, observed_at, SYSTEM_WINDOWS.bucket_length),
            provider=provider.address,
            violation_class=violation_class,
            severity=severity,
            evidence_hash=evidence or os.urandom(32),
            observed_at=observed_at,
            deadline=deadline,
            committee_epoch=self.epoch if epoch is None else epoch,
        )

    def sign(self, verdict: Verdict, signers, *, chain_id: int | None = None, contract: str | None = None) -> list[bytes]:
        """Signatures of `verdict` by `signers` (Ape accounts) for this VerdictManager (or another domain)."""
        chain_id = self.chain.chain_id if chain_id is None else chain_id
        contract = contract or self.VerdictManager.address
        return [sign(verdict, chain_id, contract, self.key(signer)) for signer in signers]

    def submit(self, verdict: Verdict, signers=None, sender=None):
        """Submit `verdict` with signatures of the first three oracles (the quorum) by default."""
        signers = self.oracles[:3] if signers is None else signers
        return self.VerdictManager.submit(verdict.as_tuple(), self.sign(verdict, signers), sender=sender or self.outsider)

    # recovery
    def audit_proof(self, verdict: Verdict, *, logs_root: bytes | None = None, issued_at: int | None = None,
                    expiry: int | None = None, provider: str | None = None, incident: str | None = None) -> AuditProof:
        """An audit proof for `verdict`'s incident, issued now and valid for a week (by default)."""
        now = self.chain.pending_timestamp
        return AuditProof(
            incident_id=incident or verdict.incident_id,
            provider=provider or verdict.provider,
            audit_report_hash=os.urandom(32),
            remediation_hash=os.urandom(32),
            logs_root=logs_root or os.urandom(32),
            issued_at=now - 1 if issued_at is None else issued_at,
            expiry=now + 7 * DAY if expiry is None else expiry,
        )

    def sign_proof(self, proof: AuditProof, signer=None) -> bytes:
        return sign(proof, self.chain.chain_id, self.RecoveryEscrow.address, self.key(signer or self.auditor))

    def attestation(self, verdict: Verdict, epoch: int, *, healthy: bool = True, data_intact: bool = True,
                    observed_at: int | None = None, committee_epoch: int | None = None) -> RestorationAttestation:
        """An attestation of observation epoch `epoch` of the current claim, observed inside the epoch."""
        claim = self.RecoveryEscrow.claimOf(verdict.incident_id)
        start = claim.filedAt + epoch * SYSTEM_RECOVERY.epoch_length
        return RestorationAttestation(
            incident_id=verdict.incident_id,
            observation_epoch=epoch,
            committee_epoch=self.epoch if committee_epoch is None else committee_epoch,
            healthy=healthy,
            data_intact=data_intact,
            observed_at=start + 1 if observed_at is None else observed_at,
        )

    def sign_attestation(self, attestation: RestorationAttestation, signers=None) -> list[bytes]:
        signers = self.oracles[:3] if signers is None else signers
        return [sign(attestation, self.chain.chain_id, self.RecoveryEscrow.address, self.key(s)) for s in signers]

    # governance
    def govern(self, contract, method: str, *args):
        """Schedule and execute `contract.method(*args)` through the timelock (delay 0 in the tests)."""
        data = getattr(contract, method).encode_input(*args)
        salt = os.urandom(32)
        self.SwarmTimelock.schedule(contract.address, 0, data, ZERO32, salt, 0, sender=self.gov)
        return self.SwarmTimelock.execute(contract.address, 0, data, ZERO32, salt, sender=self.gov)


@pytest.fixture(scope="session")
def system(project, accounts, chain):
    gov = accounts[GOV]
    params = system_params().model_copy(
        update={
            "guardian": accounts[GUARDIAN].address,
            "arbiter": accounts[ARBITER].address,
            "auditors": [accounts[AUDITOR].address],
        }
    )
    executor = ApeExecutor(project, gov)
    addresses = execute(plan(params, gov.address), executor)
    contracts = {name: executor.instances[address] for name, address in addresses.items()}
    sys_ = System(chain=chain, accounts=accounts, contracts=contracts)

    token, manager, committee = sys_.SwarmToken, sys_.StakeManager, sys_.OracleCommittee
    for index in range(1, len(accounts)):
        token.transfer(accounts[index], 1_000_000 * TOKEN, sender=gov)
    spenders = (manager, committee, sys_.AppealCourt, sys_.RecoveryEscrow)
    for index in range(len(accounts)):
        for spender in spenders:
            token.approve(spender, 2**256 - 1, sender=accounts[index])
    for oracle in sys_.oracles:
        committee.postBond(SYSTEM_MIN_BOND, sender=oracle)
    sys_.govern(committee, "setCommittee", [o.address for o in sys_.oracles], 3)

    manager.registerProvider(sys_.operator_a, PROVIDER_A_STAKE, "http://127.0.0.1:9101/health", sender=sys_.provider_a)
    manager.registerProvider(sys_.operator_b, PROVIDER_B_STAKE, "http://127.0.0.1:9102/health", sender=sys_.provider_b)
    for delegator, amount in zip(sys_.delegators, DELEGATIONS, strict=True):
        manager.stake(sys_.provider_a, amount, sender=delegator)
    return sys_
