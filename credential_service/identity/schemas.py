from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from credential_service.core import examples
from credential_service.identity.rules import no_id_number


class AssertionRequest(BaseModel):
    # The shape only: a real assertion comes signed from the identity provider (CS_IDP_* settings).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {
                "assertion": "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9."
                "eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmdvdi5jbiIsImV4cCI6MTc5ODc2MTYwMH0."
                "c2lnbmVkLWJ5LXRoZS1pZGVudGl0eS1wcm92aWRlcg"
            }
        ),
    )

    assertion: str = Field(min_length=10, max_length=8000, description="the identity provider's signed JWT")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class RevealRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {"reason": "太原市劳动人事争议仲裁委员会调取（并劳人仲案字〔2026〕第45号）"}
        ),
    )

    reason: Annotated[
        str,
        Field(min_length=4, max_length=500, description="why the clear number is needed (audited)"),
        AfterValidator(no_id_number),
    ]
