"""The administrators' forms as the API's requests: form text checked field by field (each problem in
words, Chinese then English), so that a refused form names its field and changes nothing. Pure: no
database, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from credential_service.assessment.workflow.schemas import ObjectionResolution
from credential_service.identity.rules import id_number_problem

DECISIONS = {"upheld": True, "dismissed": False}


@dataclass
class ResolutionForm:
    """An administrator's decision on one objection, and what is wrong with it, by field."""

    objection_id: str = ""
    decision: str = ""
    resolution: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def resolution_request(form: ResolutionForm) -> ObjectionResolution | None:
    """The decision as the API takes it, or None after noting each bad field on the form."""
    if form.decision not in DECISIONS:
        form.errors["decision"] = "请选择异议成立或不成立 / choose upheld or dismissed"
    text = form.resolution.strip()
    if not 4 <= len(text) <= 1000:
        form.errors["resolution"] = (
            "请填写处理意见（4–1000 个字），写明核查情况和依据 / the decision's grounds: 4 to 1000 characters"
        )
    elif (problem := id_number_problem(text)) is not None:
        form.errors["resolution"] = problem
        form.resolution = ""  # never shown back: the officer writes it again without the number
    if form.errors:
        return None
    try:
        return ObjectionResolution(upheld=DECISIONS[form.decision], resolution=text)
    except ValidationError:  # every field was checked above; kept so that no input can cause a 500
        form.errors["resolution"] = "填写有误，请检查后重试 / please check the form"
        return None
