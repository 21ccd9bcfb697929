"""A finding, the subjects it is about, and the case workflow it opens (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def title_zh(self) -> str:
        return {"high": "高", "medium": "中", "low": "低"}[self.value]


class CaseStatus(StrEnum):
    OPEN = "open"  # 待处理
    INVESTIGATING = "investigating"  # 核查中
    CLOSED = "closed"  # 已结案

    @property
    def title_zh(self) -> str:
        return {"open": "待处理", "investigating": "核查中", "closed": "已结案"}[self.value]


class Outcome(StrEnum):
    """How a closed case ended; nothing is refused or revoked by the case itself."""

    CONFIRMED = "confirmed"  # 查实
    NO_ISSUE = "no_issue"  # 未发现问题

    @property
    def title_zh(self) -> str:
        return {"confirmed": "查实", "no_issue": "未发现问题"}[self.value]


class SubjectType(StrEnum):
    PERSON = "person"  # by the public id used under /api/v1/admin/persons/{id}
    CLASS = "class"  # by the institution's credit code and class_ref: "<credit code>/<class_ref>"
    INSTITUTION = "institution"  # by 统一社会信用代码
    ORGANISATION = "organisation"  # by organisation code
    CERTIFICATE = "certificate"  # by certificate number
    CLAIM = "claim"  # by the claim's public id

    @property
    def title_zh(self) -> str:
        names = {
            "person": "人员",
            "class": "培训班",
            "institution": "培训机构",
            "organisation": "评价机构",
            "certificate": "证书",
            "claim": "补贴申请",
        }
        return names[self.value]


@dataclass(frozen=True, order=True)
class Subject:
    type: SubjectType
    ref: str

    def as_record(self) -> dict[str, str]:
        return {"type": self.type.value, "ref": self.ref}


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: what it is (a file entry, a claim, a certificate, a payment …), its
    reference, and a line of plain Chinese saying what it shows."""

    kind: str  # entry / claim / certificate / payment / candidate / class / figure
    ref: str
    note: str
    person: str | None = None  # a file entry's person (public id): where the entry can be read

    def as_record(self) -> dict[str, str]:
        record = {"kind": self.kind, "ref": self.ref, "note": self.note}
        if self.person is not None:
            record["person"] = self.person
        return record


@dataclass(frozen=True)
class Finding:
    """What a check found: the subjects it is about, a summary in Chinese, the evidence, and the
    city it belongs to (the institution's or organisation's, for the case list's filter)."""

    check: str
    subjects: tuple[Subject, ...]
    summary: str
    evidence: tuple[Evidence, ...] = ()
    city_code: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return finding_key(self.check, self.subjects)


MAX_EVIDENCE = 50  # kept per case; the summary says how many there were


def finding_key(check: str, subjects: Iterable[Subject]) -> str:
    """The case's unique key: the check and its subjects, in any order. The check's version is not
    part of it, so a new version of a check does not reopen what an older one found."""
    canonical = json.dumps(
        [check, sorted([s.type.value, s.ref] for s in set(subjects))],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Which status may follow which; closing needs an outcome and every step a reason.
NEXT_STATUSES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.INVESTIGATING, CaseStatus.CLOSED}),
    CaseStatus.INVESTIGATING: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


def transition_problem(current: CaseStatus, target: CaseStatus, outcome: Outcome | None) -> str | None:
    """Why the step is refused (Chinese / English), or None when it may be taken."""
    if target not in NEXT_STATUSES[current]:
        return (
            f"案件{current.title_zh}，不能改为{target.title_zh} / "
            f"a case {current.value} cannot become {target.value}"
        )
    if target is CaseStatus.CLOSED and outcome is None:
        return "结案须选择查实或未发现问题 / closing needs an outcome: confirmed or no issue"
    if target is not CaseStatus.CLOSED and outcome is not None:
        return "只有结案时填写结论 / an outcome is given only when closing"
    return None
