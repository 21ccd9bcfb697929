from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from credential_service.identity.rules import no_id_number


class AssertionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assertion: str = Field(min_length=10, max_length=8000, description="the identity provider's signed JWT")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str,
        Field(min_length=4, max_length=500, description="why the clear number is needed (audited)"),
        AfterValidator(no_id_number),
    ]
