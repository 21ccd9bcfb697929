from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ShareLinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate_number: str | None = Field(
        default=None, pattern=r"^[YS]\d{21}$", description="one certificate, or none for all of them"
    )
    days: int = Field(default=30, ge=1, le=365, description="how long the link works")
