from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class VerifyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    returnResults: bool = True
    returnProblemDetails: bool = True
    returnCredential: bool = False


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verifiableCredential: dict[str, Any] = Field(description="A secured VC 2.0 credential")
    options: VerifyOptions = Field(default_factory=VerifyOptions)
