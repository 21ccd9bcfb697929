"""Errors of the evaluation workflow: plans, submissions, publicity (公示) and objections."""

from __future__ import annotations

from credential_service.core.errors import Conflict, FieldError, InvalidInput, NotFound
from credential_service.core.sheets import SheetError

__all__ = ["SheetError"]  # the sheet reader's error, raised for result sheets too


class PlanNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个评价计划 / no such assessment plan", code="plan_not_found")


class SubmissionNotFound(NotFound):
    """No such submission, or another organisation's (which is not told apart)."""

    def __init__(self) -> None:
        super().__init__("没有这个提交 / no such submission", "submission_not_found")


class RowsRejected(InvalidInput):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "成绩表有错误，未作任何记录；请更正后重新提交 / the sheet has errors and nothing was recorded",
            errors,
            "rows_rejected",
        )


class CandidateNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有正在公示的这名考生 / no such candidate under publicity", "candidate_not_found")


class ObjectionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个异议 / no such objection", "objection_not_found")


class ObjectionResolved(Conflict):
    def __init__(self) -> None:
        super().__init__("该异议已处理 / already resolved", "objection_resolved")
