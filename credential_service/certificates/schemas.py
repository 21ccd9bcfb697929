"""Request models of the W3C VC API (VCALM) issue endpoint."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from credential_service.core import examples


class IssueOptions(BaseModel):
    # VCALM: unknown options are an error (UNKNOWN_OPTION_PROVIDED), not silently ignored.
    model_config = ConfigDict(extra="forbid")

    credentialId: str | None = Field(
        default=None,
        max_length=128,
        description="Idempotency key: issuing again with the same id returns the first credential",
    )
    cryptosuite: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"] = "eddsa-rdfc-2022"


class IssueRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=examples.listed(
            {"credential": examples.PLATFORM_CREDENTIAL, "options": {"cryptosuite": "eddsa-rdfc-2022"}}
        ),
    )

    credential: dict[str, Any] = Field(description="A VC 2.0 credential without proof")
    options: IssueOptions = Field(default_factory=IssueOptions)
