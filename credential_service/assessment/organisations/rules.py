"""Pure rules of evaluation (评价): no I/O, easy to unit- and property-test."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import china_day_bounds
from credential_service.core.errors import FieldError
from credential_service.core.inputs import OCCUPATION_CODE

# =============================================================================================
# Organisations and scope (评价机构备案范围)
# Source: 人社部发〔2019〕... 职业技能等级认定; DOMAIN.md "Organisations" — an organisation may only
# issue inside its registered scope (职业/工种, levels, validity dates) while active, on the exam date.
# =============================================================================================


class OrganisationStatus(StrEnum):
    ACTIVE = "active"  # 正常
    SUSPENDED = "suspended"  # 暂停 (may be lifted)
    EXITED = "exited"  # 退出 (final)


ACTIVE, SUSPENDED, EXITED = OrganisationStatus
NOT_REGISTERED = "not_registered"  # before the first status period
STATUS_NAMES = {ACTIVE: "正常", SUSPENDED: "暂停", EXITED: "已退出", NOT_REGISTERED: "未备案"}

ORG_TYPE_NAMES = {"Y": "用人单位", "S": "社会培训评价组织"}
_MOHRSS_CODE = re.compile(r"^\d{4}$")  # 0000 when registered by a province
_SITE_SERIAL = re.compile(r"^\d{6}$")
_PROVINCE = re.compile(r"^\d{2}$")

# How a missing 工种 is written on certificates and in files: all mean "none".
_NO_SUBTYPE = frozenset({"", "--", "—", "-", "无"})
MAX_SUBTYPE_LENGTH = 100


class ScopeLike(Protocol):
    """One registered scope row (``ScopeRow`` or anything shaped like it)."""

    @property
    def occupation_code(self) -> str: ...
    @property
    def subtype(self) -> str | None: ...
    @property
    def levels(self) -> str: ...  # "5,4,3"
    @property
    def valid_from(self) -> date: ...
    @property
    def valid_to(self) -> date: ...


class ScopedLike(Protocol):
    @property
    def scope(self) -> Sequence[ScopeLike]: ...


class PeriodLike(Protocol):
    """One status period: ``status`` from ``since`` until the next period starts."""

    @property
    def status(self) -> str: ...
    @property
    def since(self) -> datetime: ...


@dataclass(frozen=True)
class ScopeRowInput:
    """A scope row as entered (API, CLI): checked by :func:`scope_problems` before it is stored."""

    occupation_code: str
    subtype: str | None
    levels: tuple[int, ...]
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class EndorsedScopeRow:
    """A scope row as read back from a signed endorsement (``levels`` kept as text like ``ScopeRow``)."""

    occupation_code: str
    subtype: str | None
    levels: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class EndorsedPeriod:
    status: str
    since: datetime


@dataclass(frozen=True)
class EndorsedRegistration:
    """What a verifier reads from an endorsement: the organisation, its scope and status history."""

    organisation_code: str
    version: int
    scope: tuple[EndorsedScopeRow, ...]
    status_history: tuple[EndorsedPeriod, ...]


def normalise_subtype(subtype: str | None) -> str | None:
    """The 工种 trimmed; ``None`` for none (also for "", "--", "无")."""
    if subtype is None:
        return None
    text = subtype.strip()
    return None if text in _NO_SUBTYPE else text


def parse_levels(text: str) -> frozenset[int]:
    """``"5,4,3"`` → {5, 4, 3}; anything that is not a level 1–5 is ignored."""
    found = set()
    for raw in text.split(","):
        part = raw.strip()
        if part.isdigit() and int(part) in SkillLevel._value2member_map_:
            found.add(int(part))
    return frozenset(found)


def format_levels(levels: Iterable[int]) -> str:
    """Levels as stored: from the lowest (5) to the highest (1), e.g. ``"5,4,3"``."""
    return ",".join(str(level) for level in sorted(set(levels), reverse=True))


def organisation_code(org_type: str, mohrss_code: str, province_code: str, site_serial: str) -> str:
    """The 13-character code that starts the organisation's certificate numbers (人社鉴发〔2021〕1号)."""
    return f"{org_type}{mohrss_code}{province_code}{site_serial}"


def organisation_code_problems(
    org_type: str, mohrss_code: str, province_code: str, site_serial: str
) -> list[FieldError]:
    """Every problem with the parts of the organisation code, by field (empty when fine)."""
    problems = []
    if org_type not in ORG_TYPE_NAMES:
        problems.append(
            FieldError(
                "org_type",
                "机构类型应为 Y（用人单位）或 S（社会培训评价组织） / "
                "the type is Y (employer) or S (social training and evaluation organisation)",
            )
        )
    if not _MOHRSS_CODE.match(mohrss_code):
        problems.append(
            FieldError(
                "mohrss_code",
                "人社部机构代码应为 4 位数字，省级备案填 0000 / "
                "the MOHRSS code has 4 digits (0000 when registered by the province)",
            )
        )
    if not _PROVINCE.match(province_code):
        problems.append(
            FieldError("province_code", "省份代码应为 2 位数字，如 14 / the province code has 2 digits")
        )
    if not _SITE_SERIAL.match(site_serial):
        problems.append(
            FieldError(
                "site_serial",
                "站点序号应为省里分配的 6 位数字 / "
                "the site serial is the 6-digit number the province assigned",
            )
        )
    return problems


def _level_names(levels: Iterable[int]) -> str:
    return "、".join(SkillLevel(level).title_zh for level in sorted(set(levels), reverse=True))


def _occupation_problems(
    row: ScopeRowInput, catalogue: Mapping[str, Sequence[str]], where: str
) -> list[FieldError]:
    """The row's occupation code and 工种 against the catalogue."""
    code = row.occupation_code.strip()
    if not OCCUPATION_CODE.match(code):
        return [
            FieldError(
                f"{where}.occupation_code",
                "职业编码格式为 D-DD-DD-DD，如 6-18-02-04 / occupation codes look like 6-18-02-04",
            )
        ]
    if code not in catalogue:
        return [
            FieldError(
                f"{where}.occupation_code",
                f"职业目录中没有 {code}，请先导入职业目录或核对编码 / "
                f"{code} is not in the occupation catalogue: import it or check the code",
            )
        ]
    subtype = normalise_subtype(row.subtype)
    known = catalogue[code]
    if subtype is not None and known and subtype not in known:
        return [
            FieldError(
                f"{where}.subtype",
                f"职业 {code} 没有工种“{subtype}”，可选：{'、'.join(known)} / "
                f"occupation {code} has no such 工种 (known: {', '.join(known)})",
            )
        ]
    return []


def _row_problems(row: ScopeRowInput, catalogue: Mapping[str, Sequence[str]], where: str) -> list[FieldError]:
    """Every problem of one scope row on its own, by field."""
    problems = _occupation_problems(row, catalogue, where)
    if row.subtype is not None and len(row.subtype.strip()) > MAX_SUBTYPE_LENGTH:
        problems.append(
            FieldError(f"{where}.subtype", "工种名称过长（最多 100 字） / at most 100 characters")
        )
    if not row.levels:
        problems.append(FieldError(f"{where}.levels", "至少一个等级 / at least one level"))
    elif any(level not in SkillLevel._value2member_map_ for level in row.levels):
        problems.append(
            FieldError(
                f"{where}.levels",
                "等级应为 5（初级工）到 1（高级技师） / "
                "levels run from 5 (junior worker) to 1 (senior technician)",
            )
        )
    elif len(set(row.levels)) != len(row.levels):
        problems.append(FieldError(f"{where}.levels", "等级重复 / a level is listed twice"))
    if row.valid_to < row.valid_from:
        problems.append(
            FieldError(
                f"{where}.valid_to",
                "有效期止不能早于有效期起 / valid_to must not be earlier than valid_from",
            )
        )
    return problems


def _overlaps(row: ScopeRowInput, other: ScopeRowInput) -> bool:
    return bool(
        row.occupation_code.strip() == other.occupation_code.strip()
        and normalise_subtype(row.subtype) == normalise_subtype(other.subtype)
        and set(row.levels) & set(other.levels)
        and row.valid_from <= other.valid_to
        and other.valid_from <= row.valid_to
    )


def scope_problems(
    rows: Sequence[ScopeRowInput], catalogue: Mapping[str, Sequence[str]], *, loc: str = "scope"
) -> list[FieldError]:
    """Every problem with a scope, by row and field (empty when fine).

    ``catalogue`` maps each known occupation code to its 工种 (empty when the catalogue lists
    none; then any 工种 is accepted). Two rows overlap when they name the same occupation and 工种,
    share a level and share a day: such a scope would be ambiguous, so it is refused.
    """
    if not rows:
        return [FieldError(loc, "至少备案一项职业（工种） / register at least one occupation")]
    problems = [p for i, row in enumerate(rows) for p in _row_problems(row, catalogue, f"{loc}.{i}")]
    if problems:
        return problems
    for i, row in enumerate(rows):
        # The first earlier row it overlaps is enough to name: n identical rows give n - 1
        # problems, not n²/2 (a 500-row scope stays a quick, readable answer).
        j = next((j for j in range(i) if _overlaps(row, rows[j])), None)
        if j is not None:
            shared = _level_names(set(row.levels) & set(rows[j].levels))
            problems.append(
                FieldError(
                    f"{loc}.{i}",
                    f"与第 {j + 1} 行重叠（同一职业工种、等级 {shared}、日期交叉），请合并或调整日期 / "
                    f"overlaps row {j} (same occupation and 工种, a shared level and shared days)",
                )
            )
    return problems


def in_scope(
    organisation: ScopedLike, occupation_code: str, subtype: str | None, level: int, on_date: date
) -> bool:
    """Whether the scope covers (occupation, 工种, level) on ``on_date`` (both validity dates included).

    The 工种 must match exactly: a row without 工种 covers certificates without 工种 only, a row
    for one 工种 covers that 工种 only. Status is a separate question (:func:`status_on`).
    """
    wanted = normalise_subtype(subtype)
    return any(
        row.occupation_code == occupation_code
        and normalise_subtype(row.subtype) == wanted
        and level in parse_levels(row.levels)
        and row.valid_from <= on_date <= row.valid_to
        for row in organisation.scope
    )


@dataclass(frozen=True)
class ScopeChoice:
    """One (occupation, 工种, level) an organisation may still file a plan for, and until when."""

    occupation_code: str
    subtype: str | None
    level: int
    valid_from: date
    valid_to: date


def scope_choices(organisation: ScopedLike, today: date) -> list[ScopeChoice]:
    """What a plan form may offer: every (occupation, 工种, level) of a scope row still valid on or
    after ``today``, by occupation then level from the lowest (5) up; the exam dates are checked
    against the validity when the plan is filed (:func:`in_scope`)."""
    found = {
        (row.occupation_code, normalise_subtype(row.subtype), level): row
        for row in organisation.scope
        if row.valid_to >= today
        for level in parse_levels(row.levels)
    }
    return sorted(
        (
            ScopeChoice(code, subtype, level, row.valid_from, row.valid_to)
            for (code, subtype, level), row in found.items()
        ),
        key=lambda c: (c.occupation_code, c.subtype or "", -c.level),
    )


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def status_on(periods: Iterable[PeriodLike], moment: datetime) -> str:
    """The status in force at ``moment``: that of the latest period begun at or before it.

    A period takes effect at its ``since`` instant; before the first period the organisation
    was ``not_registered``.
    """
    when = _aware(moment)
    current, started = NOT_REGISTERED, None
    for period in periods:
        since = _aware(period.since)
        if since <= when and (started is None or since >= started):
            current, started = period.status, since
    return current


def active_some_time_in(periods: Sequence[PeriodLike], second: datetime) -> bool:
    """Whether the organisation was active at some instant of ``second`` (times are recorded to the
    second): its status just before that second, or any status it took within it. Issuance checked
    the real order of the two events, so verification, which sees only the second, gives an issuance
    and a suspension recorded in the same second the benefit of that check."""
    start = _aware(second).replace(microsecond=0)
    within = {p.status for p in periods if start <= _aware(p.since) < start + timedelta(seconds=1)}
    return ACTIVE in within | {status_on(periods, start - timedelta(microseconds=1))}


def active_throughout(periods: Sequence[PeriodLike], first_day: date, last_day: date | None = None) -> bool:
    """Whether the organisation was active during every moment of the Beijing days given.

    A suspension at 15:00 on an exam day makes that day not wholly active.
    """
    start, _ = china_day_bounds(first_day)
    _, end = china_day_bounds(last_day or first_day)
    if status_on(periods, start) != ACTIVE:
        return False
    return all(period.status == ACTIVE for period in periods if start < _aware(period.since) < end)


def status_change_allowed(current: str, new: str) -> bool:
    """Active and suspended move freely; exit (退出) is final."""
    return current != EXITED or new == EXITED


# --- the signed endorsement of a registration ------------------------------------------------

# The endorsement comment is Chinese prose for people, then this line, then the registration as
# JSON for programs (the OB 3.0 context defines no terms for scope rows, and JSON-LD safe mode
# refuses undefined ones).
MACHINE_READABLE_MARKER = "机器可读的备案信息 / machine-readable registration (JSON):"


def registration_json(
    *, code: str, version: int, scope: Sequence[ScopeLike], status_history: Sequence[PeriodLike]
) -> str:
    """The machine-readable part of the endorsement comment (compact JSON, keys in a fixed order)."""
    body = {
        "organisationCode": code,
        "version": version,
        "scope": [
            {
                "occupationCode": row.occupation_code,
                "subtype": row.subtype,
                "levels": sorted(parse_levels(row.levels), reverse=True),
                "validFrom": row.valid_from.isoformat(),
                "validTo": row.valid_to.isoformat(),
            }
            for row in scope
        ],
        "statusHistory": [
            {"status": p.status, "since": _aware(p.since).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
            for p in status_history
        ],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class EndorsementFormatError(ValueError):
    """The endorsement carries no readable registration."""


def endorsed_registration(credential: Mapping[str, Any]) -> EndorsedRegistration:
    """Read the registration back from an endorsement (check its proof first: this only parses).

    Raises EndorsementFormatError when the comment holds no well-formed registration.
    """
    try:
        subject = credential["credentialSubject"]
        comment = subject["endorsementComment"]
        _, marker, tail = str(comment).partition(MACHINE_READABLE_MARKER)
        if not marker:
            raise EndorsementFormatError("no machine-readable registration in endorsementComment")
        body = json.loads(tail)
        scope = tuple(
            EndorsedScopeRow(
                occupation_code=str(row["occupationCode"]),
                subtype=normalise_subtype(row.get("subtype")),
                levels=format_levels(int(level) for level in row["levels"]),
                valid_from=date.fromisoformat(row["validFrom"]),
                valid_to=date.fromisoformat(row["validTo"]),
            )
            for row in body["scope"]
        )
        history = tuple(
            EndorsedPeriod(str(p["status"]), datetime.fromisoformat(p["since"].replace("Z", "+00:00")))
            for p in body["statusHistory"]
        )
        return EndorsedRegistration(str(body["organisationCode"]), int(body["version"]), scope, history)
    except EndorsementFormatError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EndorsementFormatError(f"malformed registration: {exc}") from exc


def endorsed_for(
    registration: EndorsedRegistration,
    occupation_code: str,
    subtype: str | None,
    level: int,
    on_date: date,
) -> bool:
    """What a verifier asks of an endorsement: registered and active for this on ``on_date``."""
    return in_scope(registration, occupation_code, subtype, level, on_date) and active_throughout(
        registration.status_history, on_date
    )
