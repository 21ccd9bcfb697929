"""Supervision's typed errors (Chinese first, English after)."""

from __future__ import annotations

from credential_service.core.errors import Conflict, NotFound


class CaseNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个案件 / no such case", code="case_not_found")


class TransitionRefused(Conflict):
    """The step does not follow from the case's status (a closed case stays closed)."""

    def __init__(self, why: str) -> None:
        super().__init__(why, code="case_transition_refused")
