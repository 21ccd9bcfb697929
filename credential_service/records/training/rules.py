"""Pure rules of training institutions' postings: Shanxi cities, Beijing dates, idempotency keys."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from credential_service.core.errors import FieldError, InvalidInput
from credential_service.crypto.jcs import canonical_json


class InstitutionStatus(StrEnum):
    ACTIVE = "active"  # 正常
    SUSPENDED = "suspended"  # 暂停 (may be lifted)
    CLOSED = "closed"  # 注销/退出 (final)


# GB/T 2260 prefecture-level cities of Shanxi (province 140000).
SHANXI_CITIES = {
    "140100": "太原市",
    "140200": "大同市",
    "140300": "阳泉市",
    "140400": "长治市",
    "140500": "晋城市",
    "140600": "朔州市",
    "140700": "晋中市",
    "140800": "运城市",
    "140900": "忻州市",
    "141000": "临汾市",
    "141100": "吕梁市",
}
CLOCK_SKEW = timedelta(minutes=5)  # a device clock slightly ahead is not "in the future"
_IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,128}$")  # printable ASCII


def source_of(credit_code: str) -> str:
    """The ``source`` of the file entries an institution posts."""
    return f"institution:{credit_code}"


def project_approved(
    projects: Iterable[tuple[str, str | None]], occupation_code: str, training_type: str
) -> bool:
    """Whether a class falls inside the institution's approved projects (可开展项目).

    A project names an occupation and one training type, or no type (any type).
    """
    return any(code == occupation_code and kind in (None, training_type) for code, kind in projects)


def status_change_allowed(current: InstitutionStatus, new: InstitutionStatus) -> bool:
    """Active and suspended move freely; closing (注销/退出) is final."""
    return current is not InstitutionStatus.CLOSED or new is InstitutionStatus.CLOSED


def idempotency_key(raw: str | None) -> str | None:
    """The ``Idempotency-Key`` header value (an RFC 8941 string, quotes optional), or InvalidInput."""
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not _IDEMPOTENCY_KEY.match(value):
        raise InvalidInput(
            "Idempotency-Key 不正确 / the Idempotency-Key header is invalid",
            [FieldError("header.Idempotency-Key", "应为 1–128 个可见 ASCII 字符 / 1–128 printable ASCII")],
            "invalid_idempotency_key",
        )
    return value


def request_fingerprint(operation: str, body: Mapping[str, Any]) -> str:
    """SHA-256 over the operation and the canonical JSON of the parsed body (spacing does not matter)."""
    return hashlib.sha256(operation.encode() + b"\n" + canonical_json(dict(body))).hexdigest()


class ClassState(StrEnum):
    """Where a class stands, as its institution's pages say it."""

    NOT_STARTED = "not_started"  # 未开班
    RUNNING = "running"  # 培训中
    ENDED = "ended"  # 已结束，待结业
    COMPLETED = "completed"  # 已全部结业


CLASS_STATE_NAMES = {
    ClassState.NOT_STARTED: "未开班",
    ClassState.RUNNING: "培训中",
    ClassState.ENDED: "已结束，待登记结业",
    ClassState.COMPLETED: "已全部结业",
}


def class_state(start: date, end: date, today: date, *, enrolled: int, completed: int) -> ClassState:
    """A class is completed once every enrolled trainee's completion is recorded; before that, its
    Beijing dates say whether it has started or ended."""
    if enrolled and completed >= enrolled:
        return ClassState.COMPLETED
    if today < start:
        return ClassState.NOT_STARTED
    return ClassState.RUNNING if today <= end else ClassState.ENDED
