"""Request models of the cases API (unknown fields refused)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from credential_service.core import examples
from credential_service.identity.rules import no_id_number
from credential_service.supervision.rules.cases import CaseStatus, Outcome


class CaseTransition(BaseModel):
    """A step of a case: to ``investigating`` or ``closed`` (then with an outcome), with a reason."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=examples.listed(
            {
                "status": "closed",
                "outcome": "confirmed",
                "reason": "现场核查：同一手机为 5 名学员签到，机构承认代签",
            }
        ),
    )

    status: CaseStatus = Field(description="investigating / closed")
    outcome: Outcome | None = Field(default=None, description="when closing: confirmed / no_issue")
    reason: Annotated[str, AfterValidator(no_id_number)] = Field(
        min_length=2, max_length=1000, description="why (kept with the step and in the audit trail)"
    )
