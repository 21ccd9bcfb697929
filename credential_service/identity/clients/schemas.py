"""Request and response models of organisations' OAuth clients and client-held keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from credential_service.core import examples
from credential_service.identity.clients.models import ClientAuthMethod


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ClientCreate(Strict):
    model_config = ConfigDict(json_schema_extra=examples.listed({"auth_method": "client_secret"}))

    auth_method: ClientAuthMethod = Field(
        default=ClientAuthMethod.CLIENT_SECRET,
        description="client_secret (basic or post) or private_key_jwt (signed with the organisation's key)",
    )


class ClientOut(BaseModel):
    client_id: str
    organisation_code: str
    auth_method: ClientAuthMethod
    created_at: datetime
    revoked_at: datetime | None


class ClientCreated(ClientOut):
    client_secret: str | None = Field(description="shown this once only; null for private_key_jwt")
    token_endpoint: str


class ClientList(BaseModel):
    clients: list[ClientOut]


# --- organisation-held public keys ---


class ClientKeyCreate(Strict):
    """An organisation-held Ed25519 public key: a JWK or a Multikey (exactly one)."""

    # The public key of RFC 8037 appendix A.2.
    model_config = ConfigDict(
        json_schema_extra=examples.listed(
            {
                "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                "kid": "jinyang-2026-01",
            }
        )
    )

    jwk: dict[str, Any] | None = Field(
        default=None,
        description='RFC 8037 public JWK {"kty": "OKP", "crv": "Ed25519", "x": …} (never the private "d")',
    )
    public_key_multibase: str | None = Field(default=None, max_length=64, description="Multikey, z6Mk…")
    kid: str | None = Field(
        default=None,
        max_length=128,
        description="key id (letters, digits, . _ ~ : -); default: the JWK's kid, "
        "else its RFC 7638 thumbprint",
    )


class ClientKeyOut(BaseModel):
    kid: str
    organisation_code: str
    public_key_multibase: str
    jwk: dict[str, str]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revocation_reason: str | None


class ClientKeyList(BaseModel):
    keys: list[ClientKeyOut]


class TokenAnswer(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6750 token type, not a secret
    expires_in: int
    scope: str
