"""Signed message files: a verdict or an attestation that co-signers pass around and add signatures to."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .models import Address


class SignedEntry(BaseModel):
    signer: Address
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class SignedMessageFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(default="swarm-stake/signed-message", pattern="^swarm-stake/signed-message$")
    type: str = Field(pattern="^(Verdict|RestorationAttestation)$")
    message: dict[str, Any]
    chain_id: int = Field(gt=0, lt=2**256)
    verifying_contract: Address
    signatures: list[SignedEntry] = Field(default_factory=list)

    def model(self) -> Any:
        from .models import RestorationAttestation, Verdict

        return (Verdict if self.type == "Verdict" else RestorationAttestation).model_validate(self.message)
