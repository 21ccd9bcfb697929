"""Why a training institution's request is refused."""

from __future__ import annotations

from dataclasses import dataclass

from credential_service.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from credential_service.records.training.rules import InstitutionStatus

NOT_ON_ROSTER = (
    "不在本班学员名册上，请核对证件类型和号码 / "
    "not on this class's roster: check the document type and number"
)
ALREADY_LISTED = "已在本班学员名册上 / already on this class's roster"
NAME_DIFFERS = "姓名与此人档案中的姓名不一致 / the name differs from the name in this person's file"


class RowsRejected(InvalidInput):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "提交的数据有误，未做任何记录 / the posting was refused and nothing was recorded",
            errors,
            "posting_rejected",
        )


class DuplicateRows(Conflict):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "重复提交，未做任何记录 / already recorded: nothing was changed", code="duplicate_posting"
        )
        self.errors = errors


class InstitutionNotRegistered(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "未在培训机构目录中登记 / not a registered training institution",
            code="institution_not_registered",
        )


class InstitutionNotActive(Forbidden):
    def __init__(self, status: str) -> None:
        zh = "已暂停" if status == InstitutionStatus.SUSPENDED else "已注销"
        super().__init__(
            f"机构{zh}，不能提交培训数据，请联系人社部门 / the institution is {status} and cannot post",
            code="institution_not_active",
        )


class ClassNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("本机构没有这个培训班 / your institution has no such class", code="class_not_found")


class InstitutionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个培训机构 / no such training institution", code="institution_not_found")


class IdempotencyKeyReused(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "此 Idempotency-Key 已用于另一请求 / this Idempotency-Key was used for a different request",
            [
                FieldError(
                    "header.Idempotency-Key", "请为新的请求使用新的键 / use a new key for a new request"
                )
            ],
            "idempotency_key_reused",
        )


def not_enrolled(loc: str) -> FieldError:
    return FieldError(
        loc, "此人尚未报名本班，请先提交报名 / not enrolled in this class: post the enrolment first"
    )


@dataclass(frozen=True)
class RowProblem:
    """Why one row of an uploaded roster is refused: its row as the sheet numbers it (the header is
    row 1), the column's header, and the reason (Chinese, then English)."""

    row: int
    column: str
    reason: str


class RosterRejected(InvalidInput):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(
            "名册有误，未做任何更改；请更正后重新上传 / the roster has errors and nothing was changed",
            [FieldError(f"row {p.row}: {p.column}", p.reason) for p in problems],
            "roster_rejected",
        )
        self.problems = problems
