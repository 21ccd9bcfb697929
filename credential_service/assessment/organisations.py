"""Evaluation organisations (评价机构): registration (备案) with scope, status, the platform's signed
endorsement, OAuth 2 client credentials, and the occupation catalogue (职业分类大典).

Administrators register an organisation: its issuer (did:web and first key) is created through
``issuers.service``, its scope rows and first status period are stored, and the platform signs an
OB 3.0 ``EndorsementCredential`` of the registration; every change of scope or status signs a new
version. Organisations get access tokens at ``POST /oauth/token`` with a secret (Argon2 hash kept)
or a ``private_key_jwt`` assertion signed with a key they hold themselves (registered through
``client_keys``) or with their current DID key.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.assessment.models import Organisation, ScopeRow, StatusPeriod
from credential_service.assessment.occupations import BUILTIN_OCCUPATIONS
from credential_service.assessment.organisation_models import (
    ClientAuthMethod,
    Endorsement,
    Occupation,
    OrganisationClient,
    OrganisationClientKey,
    UsedClientAssertion,
)
from credential_service.assessment.organisation_schemas import (
    ClientCreated,
    ClientList,
    ClientOut,
    ImportReport,
    OccupationList,
    OccupationOut,
    OrganisationList,
    OrganisationOut,
    ScopeRowIn,
    ScopeRowOut,
    StatusPeriodOut,
    TokenAnswer,
)
from credential_service.assessment.rules import (
    ACTIVE,
    CHINA_TIME,
    MACHINE_READABLE_MARKER,
    OCCUPATION_CODE,
    ORG_TYPE_NAMES,
    STATUS_NAMES,
    OrganisationStatus,
    ScopeRowInput,
    active_some_time_in,
    format_levels,
    in_scope,
    normalise_subtype,
    organisation_code,
    organisation_code_problems,
    parse_levels,
    registration_json,
    scope_problems,
    status_change_allowed,
    status_on,
)
from credential_service.audit import service as audit
from credential_service.certificates.credential import Occupation as CertifiedOccupation
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import as_utc, beijing_date, to_xsd, utcnow
from credential_service.core.config import Settings
from credential_service.core.csv_input import csv_rows
from credential_service.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceError,
    Unauthorized,
)
from credential_service.crypto.data_integrity import create_proof
from credential_service.crypto.keystore import FileKeyStore, KeyStore
from credential_service.crypto.multibase import decode_ed25519_public_key
from credential_service.identity.credit_code import CreditCodeError, validate_credit_code
from credential_service.issuers import service as issuers
from credential_service.issuers.errors import IssuerNotFound, NoUsableKey
from credential_service.issuers.models import Issuer, IssuerKey, IssuerKind
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.platform.tokens import Principal, Role, mint_token

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret
CLIENT_SUBJECT = "client:"  # an OAuth token's subject: client:<client_id>
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ORGANISATION_SCOPES = frozenset({"plans", "results", "certificates"})
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)  # RFC 7523 §3 item 4: "a short time"
CLOCK_LEEWAY = timedelta(seconds=30)
MAX_IMPORT_ERRORS = 100
IMPORT_BATCH = 500

# Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile). One hasher per process.
_hasher = PasswordHasher()


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class OrganisationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个评价机构 / no such evaluation organisation", code="organisation_not_found")


class ClientNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "该机构没有这个客户端 / the organisation has no such client", code="client_not_found"
        )


class OAuthError(ServiceError):
    """A token-endpoint error, answered as RFC 6749 §5.2 JSON (not as a problem document).

    ``error_description`` must stay ASCII (RFC 6749 §5.2), so the Chinese text is in ``message``.
    """

    def __init__(
        self, error: str, zh: str, en: str, *, status: int = 400, basic_challenge: bool = False
    ) -> None:
        super().__init__(message=f"{zh} / {en}", code=error, status=status)
        self.error = error
        self.description = en
        self.basic_challenge = basic_challenge

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description, "message": self.message}


def _invalid(problems: list[FieldError]) -> InvalidInput:
    return InvalidInput(
        "机构备案信息有误 / the registration is invalid: see each field", problems, "invalid_organisation"
    )


# ---------------------------------------------------------------------------------------------
# Occupation catalogue
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OccupationRow:
    """One occupation read from a file; ``None`` means the file does not say (kept on update)."""

    code: str
    name: str
    major_class: str | None = None
    middle_class: str | None = None
    minor_class: str | None = None
    digital: bool | None = None
    green: bool | None = None
    subtypes: tuple[str, ...] | None = None
    source: str = ""  # where in the file, for messages: "row 3" (CSV) or "occupations.2" (JSON)


def _catalogue(session: Session, codes: Iterable[str]) -> dict[str, list[str]]:
    """Known occupation codes among ``codes`` with their 工种."""
    wanted = sorted({c.strip() for c in codes})
    found: dict[str, list[str]] = {}
    for start in range(0, len(wanted), IMPORT_BATCH):
        chunk = wanted[start : start + IMPORT_BATCH]
        for occupation in session.scalars(select(Occupation).where(Occupation.code.in_(chunk))):
            found[occupation.code] = occupation.subtypes
    return found


def _occupation_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    query = select(Occupation.code, Occupation.name).where(Occupation.code.in_(wanted))
    return {code: name for code, name in session.execute(query)}


def ensure_builtin_occupations(session: Session, now: datetime | None = None) -> int:
    """Load the small built-in set when the catalogue is empty; returns how many were added."""
    if session.scalar(select(func.count()).select_from(Occupation)):
        return 0
    now = now or utcnow()
    session.add_all(
        Occupation(
            code=o.code,
            name=o.name,
            subtypes_json=json.dumps([o.subtype] if o.subtype else [], ensure_ascii=False),
            digital=False,
            green=False,
            imported_at=now,
        )
        for o in BUILTIN_OCCUPATIONS
    )
    session.flush()
    return len(BUILTIN_OCCUPATIONS)


_COLUMNS = {
    "code": ("code", "职业编码", "编码", "职业代码"),
    "name": ("name", "职业名称", "名称"),
    "subtypes": ("subtypes", "subtype", "工种"),
    "digital": ("digital", "s", "数字职业"),
    "green": ("green", "l", "绿色职业"),
    "markers": ("markers", "标识", "标注"),
    "major": ("major", "major_class", "大类"),
    "middle": ("middle", "middle_class", "中类"),
    "minor": ("minor", "minor_class", "小类"),
}
_HEADER_NAMES = {alias.lower(): key for key, aliases in _COLUMNS.items() for alias in aliases}
_TRUE = frozenset({"1", "true", "yes", "y", "是", "√", "✓", "s", "l"})
_FALSE = frozenset({"", "0", "false", "no", "n", "否"})
_SUBTYPE_SEPARATORS = ("、", "；", ";", "|", "，", ",", "\n")


class _RowErrors:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, loc: str, reason: str) -> None:
        if len(self.errors) < MAX_IMPORT_ERRORS:
            self.errors.append(FieldError(loc, reason))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(
                "职业目录文件有误，未导入任何内容 / the catalogue file has errors: nothing was imported",
                self.errors,
                "invalid_occupation_file",
            )


def _split_subtypes(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        text = str(value)
        for separator in _SUBTYPE_SEPARATORS[1:]:
            text = text.replace(separator, _SUBTYPE_SEPARATORS[0])
        items = text.split(_SUBTYPE_SEPARATORS[0])
    cleaned = [normalise_subtype(item) for item in items]
    return tuple(dict.fromkeys(s for s in cleaned if s is not None))


def _flag(value: object, loc: str, errors: _RowErrors) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors.add(loc, f"应为 是/否（1/0） / must be yes or no (1/0), got {str(value)[:20]!r}")
    return None


def _markers(value: object, loc: str, errors: _RowErrors) -> tuple[bool | None, bool | None]:
    """``S`` (数字职业), ``L`` (绿色职业), both (``S/L``) or none."""
    if value is None:
        return None, None
    text = str(value).upper()
    letters = {c for c in text if not c.isspace() and c not in "/,、，;；|"}
    if letters - {"S", "L"}:
        errors.add(
            loc, "标识只能是 S（数字职业）和/或 L（绿色职业） / markers are S (digital) and/or L (green)"
        )
        return None, None
    return "S" in letters, "L" in letters


def _optional_text(value: object, loc: str, errors: _RowErrors) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > 100:
        errors.add(loc, "过长（最多 100 字） / at most 100 characters")
    return text or None


def _occupation_row(record: Mapping[str, object], where: str, errors: _RowErrors) -> OccupationRow | None:
    code = str(record.get("code") or "").strip()
    name = str(record.get("name") or "").strip()
    before = len(errors.errors)
    if not OCCUPATION_CODE.match(code):
        errors.add(f"{where}.code", "职业编码格式为 D-DD-DD-DD，如 6-18-02-04 / codes look like 6-18-02-04")
    if not name:
        errors.add(f"{where}.name", "职业名称不能为空 / the name must not be blank")
    elif len(name) > 100:
        errors.add(f"{where}.name", "职业名称过长（最多 100 字） / at most 100 characters")
    digital = _flag(record.get("digital"), f"{where}.digital", errors)
    green = _flag(record.get("green"), f"{where}.green", errors)
    marked_digital, marked_green = _markers(record.get("markers"), f"{where}.markers", errors)
    subtypes = _split_subtypes(record.get("subtypes"))
    if subtypes and any(len(s) > 100 for s in subtypes):
        errors.add(f"{where}.subtypes", "工种名称过长（最多 100 字） / a 工种 has at most 100 characters")
    row = OccupationRow(
        code=code,
        name=name,
        major_class=_optional_text(record.get("major"), f"{where}.major", errors),
        middle_class=_optional_text(record.get("middle"), f"{where}.middle", errors),
        minor_class=_optional_text(record.get("minor"), f"{where}.minor", errors),
        digital=digital if marked_digital is None else (marked_digital or bool(digital)),
        green=green if marked_green is None else (marked_green or bool(green)),
        subtypes=subtypes,
        source=where,
    )
    return row if len(errors.errors) == before else None


def parse_occupations_json(data: bytes) -> list[OccupationRow]:
    """A JSON list of occupations, or ``{"occupations": [...]}`` (the 2022 catalogue's shape).

    Keys: code, name, major, middle, minor, subtypes (or 工种: list or text), digital/green or
    S/L, markers. Raises InvalidInput naming every bad entry.
    """
    errors = _RowErrors()
    try:
        loaded = json.loads(data)
    except ValueError as exc:
        raise InvalidInput(
            "不是合法的 JSON 文件 / not a valid JSON file",
            [FieldError("file", str(exc))],
            "invalid_occupation_file",
        ) from exc
    entries = loaded.get("occupations") if isinstance(loaded, dict) else loaded
    if not isinstance(entries, list):
        raise InvalidInput(
            'JSON 应为职业列表或 {"occupations": [...]} / expected a list of occupations',
            [FieldError("file", "expected a list or an object with an occupations list")],
            "invalid_occupation_file",
        )
    rows = []
    for i, entry in enumerate(entries):
        where = f"occupations.{i}"
        if not isinstance(entry, dict):
            errors.add(where, "应为对象 / must be an object")
            continue
        record = {_HEADER_NAMES.get(str(k).strip().lower(), str(k)): v for k, v in entry.items()}
        row = _occupation_row(record, where, errors)
        if row is not None:
            rows.append(row)
    errors.raise_if_any()
    return rows


OCCUPATION_CSV_MAX_COLUMNS = 32  # the nine known columns and remarks of one's own (ignored)
OCCUPATION_CSV_MAX_CELL_CHARS = 2_000  # a long list of 工种 (subtypes) fits


def parse_occupations_csv(data: bytes) -> tuple[list[OccupationRow], list[str]]:
    """CSV with a header row (English or Chinese names: code/职业编码, name/职业名称, 工种, S, L,
    markers/标识, 大类, 中类, 小类), UTF-8 or GB 18030, any line ends. Returns the rows and the ignored
    column names.

    Raises InvalidInput naming every bad cell by its row number (the header is row 1), or the first
    malformed or oversized row.
    """
    errors = _RowErrors()
    records = csv_rows(
        io.BytesIO(data),
        max_columns=OCCUPATION_CSV_MAX_COLUMNS,
        max_cell_chars=OCCUPATION_CSV_MAX_CELL_CHARS,
    )
    first = next(records, None)
    if first is None:
        raise InvalidInput(
            "文件为空 / the file is empty", [FieldError("file", "no header row")], "invalid_occupation_file"
        )
    header = first[1]
    keys = [_HEADER_NAMES.get(h.strip().lower()) for h in header]
    ignored = [h for h, k in zip(header, keys, strict=True) if k is None and h.strip()]
    missing = [c for c in ("code", "name") if c not in keys]
    if missing:
        raise InvalidInput(
            "缺少必需的列：职业编码（code）和职业名称（name） / the code and name columns are required",
            [FieldError(f"header.{c}", "missing column") for c in missing],
            "invalid_occupation_file",
        )
    rows = []
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        record = {k: v for k, v in zip(keys, cells, strict=False) if k is not None}
        row = _occupation_row(record, f"row {line}", errors)
        if row is not None:
            rows.append(row)
    errors.raise_if_any()
    return rows, ignored


def read_occupation_file(path: Path) -> tuple[list[OccupationRow], list[str]]:
    """Rows of a ``.json`` (UTF-8) or ``.csv`` catalogue file, and the ignored CSV columns."""
    data = path.read_bytes()
    if path.suffix.lower() == ".json" or data.lstrip()[:1] in (b"[", b"{"):
        return parse_occupations_json(data), []
    return parse_occupations_csv(data)


def import_occupations(
    session: Session,
    rows: Sequence[OccupationRow],
    *,
    ignored_columns: Sequence[str] = (),
    now: datetime | None = None,
) -> ImportReport:
    """Insert or update (by code) every row; what a file does not say is kept. All or nothing."""
    now = now or utcnow()
    seen: dict[str, str] = {}
    errors = _RowErrors()
    for i, row in enumerate(rows):
        where = row.source or f"occupations.{i}"
        first = seen.get(row.code)
        if first is not None:
            errors.add(
                f"{where}.code", f"编码 {row.code} 与 {first} 重复 / code {row.code} is already at {first}"
            )
        seen.setdefault(row.code, where)
    errors.raise_if_any()
    existing: dict[str, Occupation] = {}
    codes = list(seen)
    for start in range(0, len(codes), IMPORT_BATCH):
        chunk = codes[start : start + IMPORT_BATCH]
        existing.update(
            (o.code, o) for o in session.scalars(select(Occupation).where(Occupation.code.in_(chunk)))
        )
    created: list[dict[str, Any]] = []
    updated = unchanged = 0
    for row in rows:
        values: dict[str, Any] = {"name": row.name}
        for attribute in ("major_class", "middle_class", "minor_class", "digital", "green"):
            value = getattr(row, attribute)
            if value is not None:
                values[attribute] = value
        if row.subtypes is not None:
            values["subtypes_json"] = json.dumps(list(row.subtypes), ensure_ascii=False)
        current = existing.get(row.code)
        if current is None:
            created.append(
                {
                    "digital": False,
                    "green": False,
                    "subtypes_json": "[]",
                    **values,
                    "code": row.code,
                    "imported_at": now,
                }
            )
            continue
        if all(getattr(current, k) == v for k, v in values.items()):
            unchanged += 1
            continue
        for k, v in values.items():
            setattr(current, k, v)
        current.imported_at = now
        updated += 1
    for start in range(0, len(created), IMPORT_BATCH):
        session.execute(insert(Occupation), created[start : start + IMPORT_BATCH])
    session.flush()
    return ImportReport(
        rows=len(rows),
        created=len(created),
        updated=updated,
        unchanged=unchanged,
        ignored_columns=list(ignored_columns),
    )


def _occupation_view(occupation: Occupation) -> OccupationOut:
    return OccupationOut(
        code=occupation.code,
        name=occupation.name,
        major_class=occupation.major_class,
        middle_class=occupation.middle_class,
        minor_class=occupation.minor_class,
        digital=occupation.digital,
        green=occupation.green,
        subtypes=occupation.subtypes,
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_occupations(
    session: Session, *, q: str | None = None, code: str | None = None, limit: int = 50, offset: int = 0
) -> OccupationList:
    """Occupations whose code starts with ``code`` and whose name or 工种 contain ``q``, by code."""
    query = select(Occupation)
    if code:
        prefix = code.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Occupation.code.like(f"{prefix}%", escape="\\"))
    if q and q.strip():
        pattern = _like(q.strip())
        query = query.where(
            or_(
                Occupation.name.like(pattern, escape="\\"),
                Occupation.subtypes_json.like(pattern, escape="\\"),
                Occupation.code.like(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Occupation.code).limit(limit).offset(offset))
    return OccupationList(
        occupations=[_occupation_view(o) for o in page], total=total, limit=limit, offset=offset
    )


# ---------------------------------------------------------------------------------------------
# Organisations: registration, status, scope
# ---------------------------------------------------------------------------------------------


def endorsement_url(public_base_url: str, code: str, version: int | None = None) -> str:
    url = f"{public_base_url.rstrip('/')}/orgs/{code}/endorsement.json"
    return url if version is None else f"{url}?version={version}"


def get_organisation(session: Session, code: str, *, lock: bool = False) -> Organisation:
    """The registered organisation (with its scope); raises OrganisationNotFound."""
    query = select(Organisation).where(Organisation.code == code.strip().upper())
    if lock:
        query = query.with_for_update()
    organisation = session.scalar(query)
    if organisation is None:
        raise OrganisationNotFound()
    return organisation


def status_history(session: Session, organisation: Organisation) -> list[StatusPeriod]:
    """The organisation's status periods, oldest first (input to ``rules.status_on``)."""
    return list(
        session.scalars(
            select(StatusPeriod)
            .where(StatusPeriod.organisation_id == organisation.id)
            .order_by(StatusPeriod.since, StatusPeriod.id)
        )
    )


def may_issue(
    session: Session,
    issuer: Issuer,
    *,
    at: datetime,
    occupation: CertifiedOccupation | None = None,
    level: SkillLevel | None = None,
    recorded: bool = False,
) -> list[FieldError]:
    """The registry's word on an issuance at ``at``: empty when ``issuer`` may issue, else why not.
    ``recorded``: ``at`` is a recorded issue time (to the second), asked again by the verifier.

    The platform always may. An evaluation organisation must be registered and active at ``at``
    and, for a skill certificate, registered for its occupation, 工种 and level on that Beijing
    date (人社部发〔2020〕104号). Issuance asks before signing; verification asks again of every
    certificate, so a credential signed around the registry is "not genuine" (decision 022).
    """
    if issuer.kind == IssuerKind.PLATFORM:
        return []
    day = beijing_date(at)
    organisation = session.scalar(select(Organisation).where(Organisation.issuer_id == issuer.id))
    periods = status_history(session, organisation) if organisation is not None else []
    active = active_some_time_in(periods, at) if recorded else status_on(periods, at) == ACTIVE
    if organisation is None or not active:
        return [
            FieldError(
                "issuer",
                f"{issuer.name}（{issuer.code}）在 {day} 不是备案有效的评价机构（未备案、已暂停或已退出），"
                f"不能发证 / not an active registered organisation on {day}: it may not issue",
            )
        ]
    if occupation is None or level is None:
        return []
    if in_scope(organisation, occupation.code, occupation.subtype, int(level), day):
        return []
    return [
        FieldError(
            "credentialSubject.achievement",
            f"{day} 的备案范围不含 {occupation.code} {occupation.name}（工种 {occupation.subtype or '--'}）"
            f"{level.title_zh} / outside the organisation's registered scope on {day}",
        )
    ]


def _views(session: Session, organisations: Sequence[Organisation], base: str) -> list[OrganisationOut]:
    """Views of several organisations with a fixed number of queries."""
    ids = [o.id for o in organisations]
    if not ids:
        return []
    dids = {
        issuer_id: did
        for issuer_id, did in session.execute(
            select(Issuer.id, Issuer.did).where(Issuer.id.in_([o.issuer_id for o in organisations]))
        )
    }
    periods: dict[int, list[StatusPeriod]] = {i: [] for i in ids}
    for period in session.scalars(
        select(StatusPeriod)
        .where(StatusPeriod.organisation_id.in_(ids))
        .order_by(StatusPeriod.since, StatusPeriod.id)
    ):
        periods[period.organisation_id].append(period)
    versions: dict[int, int] = {
        organisation_id: version
        for organisation_id, version in session.execute(
            select(Endorsement.organisation_id, func.max(Endorsement.version))
            .where(Endorsement.organisation_id.in_(ids))
            .group_by(Endorsement.organisation_id)
        )
    }
    names = _occupation_names(session, (row.occupation_code for o in organisations for row in o.scope))
    return [
        OrganisationOut(
            code=o.code,
            org_type=o.org_type,
            org_type_name=ORG_TYPE_NAMES.get(o.org_type, ""),
            credit_code=o.credit_code,
            name=o.name,
            did=dids[o.issuer_id],
            mohrss_code=o.code[1:5],
            province_code=o.code[5:7],
            site_serial=o.code[7:13],
            status=OrganisationStatus(o.status),
            registered_at=o.registered_at,
            scope=[
                ScopeRowOut(
                    occupation_code=row.occupation_code,
                    occupation_name=names.get(row.occupation_code, ""),
                    subtype=row.subtype,
                    levels=sorted(parse_levels(row.levels), reverse=True),
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                )
                for row in o.scope
            ],
            status_history=[
                StatusPeriodOut(status=p.status, since=p.since, reason=p.reason) for p in periods[o.id]
            ],
            endorsement_url=endorsement_url(base, o.code),
            endorsement_version=versions.get(o.id, 0),
        )
        for o in organisations
    ]


def describe_organisation(
    session: Session, code: str, *, public_base_url: str, tenant: str | None = None
) -> OrganisationOut:
    """One organisation as the API shows it; raises OrganisationNotFound.

    With ``tenant`` (an organisation asking), any other organisation is not found.
    """
    if tenant is not None and tenant != code.strip().upper():
        raise OrganisationNotFound()
    return _views(session, [get_organisation(session, code)], public_base_url)[0]


def list_organisations(
    session: Session,
    *,
    public_base_url: str,
    status: OrganisationStatus | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> OrganisationList:
    """Registered organisations by code, optionally of one status or matching ``q`` (name or codes)."""
    query = select(Organisation)
    if status is not None:
        query = query.where(Organisation.status == status.value)
    if q and q.strip():
        pattern = _like(q.strip())
        query = query.where(
            or_(
                Organisation.name.like(pattern, escape="\\"),
                Organisation.code.like(pattern, escape="\\"),
                Organisation.credit_code.like(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = list(session.scalars(query.order_by(Organisation.code).limit(limit).offset(offset)))
    return OrganisationList(
        organisations=_views(session, page, public_base_url), total=total, limit=limit, offset=offset
    )


def _checked_scope(session: Session, scope: Sequence[ScopeRowInput], loc: str = "scope") -> list[FieldError]:
    ensure_builtin_occupations(session)  # an empty catalogue means the built-in set, as after `init`
    return scope_problems(scope, _catalogue(session, (row.occupation_code for row in scope)), loc=loc)


def _store_scope(session: Session, organisation: Organisation, scope: Sequence[ScopeRowInput]) -> None:
    for row in scope:
        session.add(
            ScopeRow(
                organisation_id=organisation.id,
                occupation_code=row.occupation_code.strip(),
                subtype=normalise_subtype(row.subtype),
                levels=format_levels(row.levels),
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            )
        )
    session.flush()
    session.expire(organisation, ["scope"])


def _issuer_for(
    session: Session, keystore: KeyStore, settings: Settings, *, code: str, name: str, now: datetime
) -> Issuer:
    """A new issuer for ``code``; an organisation issuer created before registration existed
    (``orgs add`` of earlier versions, the demo) is taken over with its keys."""
    try:
        existing = issuers.get_issuer(session, code)
    except IssuerNotFound:
        return issuers.register_issuer(
            session,
            keystore,
            public_base_url=settings.public_base_url,
            code=code,
            name=name,
            kind=IssuerKind.ORGANISATION,
            now=now,
        )
    taken = session.scalar(select(Organisation.id).where(Organisation.issuer_id == existing.id))
    if existing.kind != IssuerKind.ORGANISATION.value or taken is not None:
        raise Conflict(
            f"机构代码 {code} 已被使用 / the organisation code {code} is already in use",
            code="organisation_exists",
        )
    existing.name = name
    return existing


def register_organisation(
    session: Session,
    keystore: KeyStore,
    settings: Settings,
    *,
    org_type: str,
    credit_code: str,
    name: str,
    mohrss_code: str,
    site_serial: str,
    scope: Sequence[ScopeRowInput],
    actor: str,
    now: datetime | None = None,
) -> OrganisationOut:
    """备案: register an active organisation with its scope, issuer and signed endorsement.

    The code is ``org_type + mohrss_code + settings.province_code + site_serial``. Raises
    InvalidInput naming every bad field, Conflict when the code or the credit code is registered.
    """
    now = now or utcnow()
    org_type = org_type.strip().upper()
    mohrss_code, site_serial, name = mohrss_code.strip(), site_serial.strip(), name.strip()
    problems: list[FieldError] = []
    credit = credit_code
    try:
        credit = validate_credit_code(credit_code)
    except CreditCodeError as exc:
        problems.append(FieldError("credit_code", str(exc)))
    if not name:
        problems.append(
            FieldError("name", "机构名称不能为空，应与备案名称完全一致 / the registered name is required")
        )
    problems += organisation_code_problems(org_type, mohrss_code, settings.province_code, site_serial)
    problems += _checked_scope(session, scope)
    if problems:
        raise _invalid(problems)
    code = organisation_code(org_type, mohrss_code, settings.province_code, site_serial)
    if session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        raise Conflict(
            f"机构代码 {code} 已备案 / organisation {code} is already registered", code="organisation_exists"
        )
    if session.scalar(select(Organisation.id).where(Organisation.credit_code == credit)) is not None:
        raise Conflict(
            "该统一社会信用代码已备案为另一评价机构 / "
            "this credit code is already registered for an organisation",
            code="credit_code_registered",
        )
    try:
        # A concurrent registration of the same code or credit code fails here, not with a 500.
        with session.begin_nested():
            issuer = _issuer_for(session, keystore, settings, code=code, name=name, now=now)
            organisation = Organisation(
                issuer_id=issuer.id,
                code=code,
                org_type=org_type,
                credit_code=credit,
                name=name,
                status=OrganisationStatus.ACTIVE.value,
                registered_at=now,
            )
            session.add(organisation)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"机构代码 {code} 或统一社会信用代码已备案 / "
            f"organisation {code} or its credit code is already registered",
            code="organisation_exists",
        ) from None
    session.add(
        StatusPeriod(
            organisation_id=organisation.id,
            status=OrganisationStatus.ACTIVE.value,
            since=now,
            reason="备案 / registered",
        )
    )
    _store_scope(session, organisation, scope)
    version = _sign_endorsement(session, keystore, settings, organisation, issuer=issuer, now=now)
    audit.record(
        session,
        actor=actor,
        action="organisation.register",
        subject=f"organisation:{code}",
        detail={"creditCode": credit, "name": name, "scopeRows": len(scope), "endorsementVersion": version},
    )
    return describe_organisation(session, code, public_base_url=settings.public_base_url)


def change_status(
    session: Session,
    keystore: KeyStore,
    settings: Settings,
    code: str,
    status: OrganisationStatus,
    *,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> OrganisationOut:
    """Suspend, reinstate or exit (final) an organisation; a real change signs a new endorsement.

    Raises OrganisationNotFound, InvalidInput without a reason, Conflict after exit.
    """
    now = now or utcnow()
    if not reason.strip():
        raise InvalidInput(
            "请说明原因 / give a reason",
            [FieldError("reason", "原因不能为空 / the reason must not be blank")],
        )
    organisation = get_organisation(session, code, lock=True)
    if not status_change_allowed(organisation.status, status):
        raise Conflict(
            "机构已退出，不能恢复，请重新备案 / the organisation has exited: register it again instead",
            code="organisation_exited",
        )
    if organisation.status != status.value:
        previous = organisation.status
        organisation.status = status.value
        session.add(
            StatusPeriod(
                organisation_id=organisation.id, status=status.value, since=now, reason=reason.strip()
            )
        )
        session.flush()
        issuer = session.get_one(Issuer, organisation.issuer_id)
        version = _sign_endorsement(session, keystore, settings, organisation, issuer=issuer, now=now)
        audit.record(
            session,
            actor=actor,
            action="organisation.status",
            subject=f"organisation:{organisation.code}",
            detail={
                "from": previous,
                "to": status.value,
                "reason": reason.strip(),
                "endorsementVersion": version,
            },
        )
    return describe_organisation(session, organisation.code, public_base_url=settings.public_base_url)


def replace_scope(
    session: Session,
    keystore: KeyStore,
    settings: Settings,
    code: str,
    scope: Sequence[ScopeRowInput],
    *,
    actor: str,
    now: datetime | None = None,
) -> OrganisationOut:
    """Replace the whole scope and sign a new endorsement (earlier versions stay retrievable).

    To end a registration, give the row an end date rather than dropping it: the current
    endorsement then still answers for certificates issued while it ran.
    Raises OrganisationNotFound, InvalidInput naming each bad row, Conflict after exit.
    """
    now = now or utcnow()
    organisation = get_organisation(session, code, lock=True)
    if organisation.status == OrganisationStatus.EXITED:
        raise Conflict(
            "机构已退出，不能变更备案范围 / the organisation has exited: its scope cannot change",
            code="organisation_exited",
        )
    problems = _checked_scope(session, scope)
    if problems:
        raise _invalid(problems)
    session.execute(delete(ScopeRow).where(ScopeRow.organisation_id == organisation.id))
    _store_scope(session, organisation, scope)
    issuer = session.get_one(Issuer, organisation.issuer_id)
    version = _sign_endorsement(session, keystore, settings, organisation, issuer=issuer, now=now)
    audit.record(
        session,
        actor=actor,
        action="organisation.scope",
        subject=f"organisation:{organisation.code}",
        detail={"scopeRows": len(scope), "endorsementVersion": version},
    )
    return describe_organisation(session, organisation.code, public_base_url=settings.public_base_url)


# ---------------------------------------------------------------------------------------------
# The platform's endorsement of a registration (OB 3.0 EndorsementCredential)
# ---------------------------------------------------------------------------------------------


def _scope_sentence(row: ScopeRow, names: Mapping[str, str]) -> str:
    occupation = f"{row.occupation_code} {names.get(row.occupation_code, '')}".strip()
    if row.subtype:
        occupation += f"（{row.subtype}）"
    levels = "、".join(SkillLevel(level).title_zh for level in sorted(parse_levels(row.levels), reverse=True))
    return f"{occupation}：{levels}，{row.valid_from.isoformat()} 至 {row.valid_to.isoformat()}"


def endorsement_comment(
    organisation: Organisation, periods: Sequence[StatusPeriod], names: Mapping[str, str], version: int
) -> str:
    """Chinese prose for people, then the registration as JSON for programs (see rules)."""
    scope = "；\n".join(f"{i}. {_scope_sentence(row, names)}" for i, row in enumerate(organisation.scope, 1))
    history = "；".join(
        f"{as_utc(p.since).astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}（北京时间）起"
        f"{STATUS_NAMES.get(p.status, p.status)}"
        for p in periods
    )
    prose = (
        f"{organisation.name}（{ORG_TYPE_NAMES.get(organisation.org_type, '')}，统一社会信用代码 "
        f"{organisation.credit_code}）经人力资源社会保障部门备案为职业技能等级认定评价机构，机构代码 "
        f"{organisation.code}，当前状态：{STATUS_NAMES.get(organisation.status, organisation.status)}。"
        f"只能在以下备案范围内、机构状态正常期间，按考核日期颁发职业技能等级证书（第 {version} 版）。\n"
        f"备案范围：\n{scope}。\n状态记录：{history}。"
    )
    machine = registration_json(
        code=organisation.code, version=version, scope=organisation.scope, status_history=periods
    )
    return f"{prose}\n{MACHINE_READABLE_MARKER}\n{machine}"


def _sign_endorsement(
    session: Session,
    keystore: KeyStore,
    settings: Settings,
    organisation: Organisation,
    *,
    issuer: Issuer,
    now: datetime,
) -> int:
    """Sign and store the next version of the endorsement; returns its version number."""
    last = session.scalar(
        select(func.max(Endorsement.version)).where(Endorsement.organisation_id == organisation.id)
    )
    version = (last or 0) + 1
    platform = issuers.get_issuer(session, PLATFORM_CODE)
    key, signer = issuers.signer_for(platform, keystore)
    periods = status_history(session, organisation)
    names = _occupation_names(session, (row.occupation_code for row in organisation.scope))
    base = settings.public_base_url
    unsigned = {
        "@context": [VC_V2, OB_V3],
        "id": endorsement_url(base, organisation.code, version),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": platform.did, "type": ["Profile"], "name": platform.name},
        "validFrom": to_xsd(now),
        "name": "职业技能等级认定评价机构备案 / Registration of a skill-level evaluation organisation",
        "credentialSubject": {
            "id": issuer.did,
            "type": ["EndorsementSubject"],
            "name": organisation.name,
            "endorsementComment": endorsement_comment(organisation, periods, names, version),
        },
    }
    signed = create_proof(
        unsigned,
        cryptosuite="eddsa-rdfc-2022",
        verification_method=key.verification_method,
        created=to_xsd(now),
        sign=signer.sign,
    )
    session.add(
        Endorsement(
            organisation_id=organisation.id,
            version=version,
            credential_json=json.dumps(signed, ensure_ascii=False),
            signed_at=now,
        )
    )
    session.flush()
    return version


def endorsement(session: Session, code: str, version: int | None = None) -> dict[str, Any]:
    """The signed endorsement (the newest, or one version); raises OrganisationNotFound / NotFound."""
    organisation = get_organisation(session, code)
    query = select(Endorsement).where(Endorsement.organisation_id == organisation.id)
    if version is not None:
        query = query.where(Endorsement.version == version)
    found = session.scalars(query.order_by(Endorsement.version.desc()).limit(1)).first()
    if found is None:
        raise NotFound(
            "没有这一版备案证明 / no such version of the endorsement", code="endorsement_not_found"
        )
    loaded: dict[str, Any] = json.loads(found.credential_json)
    return loaded


def endorsement_by_id(session: Session, public_base_url: str, credential_id: str) -> dict[str, Any] | None:
    """The signed endorsement whose credential id is ``credential_id``, as the registry stored it
    (None when there is none): endorsements are issued by the platform outside the certificates'
    records, and the verifier asks the registry of every credential (decision 022)."""
    prefix = f"{public_base_url.rstrip('/')}/orgs/"
    code, _, version = credential_id.removeprefix(prefix).partition("/endorsement.json?version=")
    if not credential_id.startswith(prefix) or not version.isdecimal() or len(version) > 9:
        return None
    try:
        return endorsement(session, code, int(version))
    except NotFound:
        return None


# ---------------------------------------------------------------------------------------------
# OAuth 2 clients (administrators) and the token endpoint (organisations)
# ---------------------------------------------------------------------------------------------


def token_endpoint(public_base_url: str) -> str:
    return f"{public_base_url.rstrip('/')}{TOKEN_PATH}"


def _client_view(client: OrganisationClient) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        organisation_code=client.organisation.code,
        auth_method=ClientAuthMethod(client.auth_method),
        created_at=client.created_at,
        revoked_at=client.revoked_at,
    )


def create_client(
    session: Session,
    code: str,
    auth_method: ClientAuthMethod,
    *,
    public_base_url: str,
    actor: str,
    now: datetime | None = None,
) -> ClientCreated:
    """New client credentials; a secret is returned this once and only its Argon2 hash is kept.

    Raises OrganisationNotFound, Conflict for an organisation that has exited.
    """
    organisation = get_organisation(session, code)
    if organisation.status == OrganisationStatus.EXITED:
        raise Conflict("机构已退出 / the organisation has exited", code="organisation_exited")
    secret = secrets.token_urlsafe(32) if auth_method is ClientAuthMethod.CLIENT_SECRET else None
    client = OrganisationClient(
        organisation=organisation,
        client_id=f"{organisation.code}-{secrets.token_hex(6)}",
        auth_method=auth_method.value,
        secret_hash=_hasher.hash(secret) if secret is not None else None,
        created_at=now or utcnow(),
        created_by=actor[:100],
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.client.create",
        subject=f"organisation:{organisation.code}",
        detail={"clientId": client.client_id, "authMethod": auth_method.value},
    )
    return ClientCreated(
        **_client_view(client).model_dump(),
        client_secret=secret,
        token_endpoint=token_endpoint(public_base_url),
    )


def list_clients(session: Session, code: str) -> ClientList:
    organisation = get_organisation(session, code)
    clients = session.scalars(
        select(OrganisationClient)
        .where(OrganisationClient.organisation_id == organisation.id)
        .order_by(OrganisationClient.id)
    )
    return ClientList(clients=[_client_view(c) for c in clients])


def revoke_client(
    session: Session, code: str, client_id: str, *, actor: str, now: datetime | None = None
) -> ClientOut:
    """Revoke client credentials (tokens already issued run out within their short lifetime)."""
    organisation = get_organisation(session, code)
    client = session.scalar(
        select(OrganisationClient).where(
            OrganisationClient.organisation_id == organisation.id, OrganisationClient.client_id == client_id
        )
    )
    if client is None:
        raise ClientNotFound()
    if client.revoked_at is None:
        client.revoked_at = now or utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="organisation.client.revoke",
            subject=f"organisation:{organisation.code}",
            detail={"clientId": client.client_id},
        )
    return _client_view(client)


@dataclass(frozen=True)
class TokenRequest:
    """The token request as posted (form fields) plus the Authorization header."""

    grant_type: str | None = None
    scope: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_assertion_type: str | None = None
    client_assertion: str | None = field(default=None, repr=False)
    authorization: str | None = field(default=None, repr=False)


def _bad_client(zh: str, en: str, *, basic: bool) -> OAuthError:
    # RFC 6749 §5.2: 401 with a challenge when the client tried the Authorization header.
    return OAuthError("invalid_client", zh, en, status=401 if basic else 400, basic_challenge=basic)


def _basic_credentials(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: ``Basic base64(urlencode(id) ":" urlencode(secret))``."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise _bad_client("认证头应为 HTTP Basic", "the Authorization header must use HTTP Basic", basic=True)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _bad_client("客户端凭据格式不正确", "malformed Basic credentials", basic=True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _bad_client("客户端凭据格式不正确", "malformed Basic credentials", basic=True)
    return unquote_plus(client_id), unquote_plus(secret)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _active_client(session: Session, client_id: str, method: ClientAuthMethod) -> OrganisationClient | None:
    client = session.scalar(select(OrganisationClient).where(OrganisationClient.client_id == client_id))
    if client is None or client.revoked_at is not None or client.auth_method != method.value:
        return None
    return client


def _by_secret(session: Session, client_id: str, secret: str, *, basic: bool) -> OrganisationClient:
    client = _active_client(session, client_id, ClientAuthMethod.CLIENT_SECRET)
    stored = client.secret_hash if client is not None and client.secret_hash else _dummy_hash()
    try:
        _hasher.verify(stored, secret)  # also for unknown clients: the answer takes as long
        ok = client is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or client is None:
        raise _bad_client(
            "客户端身份验证失败（编号或密钥错误，或已吊销）", "client authentication failed", basic=basic
        )
    if client.secret_hash and _hasher.check_needs_rehash(client.secret_hash):
        client.secret_hash = _hasher.hash(secret)
    return client


def _assertion_key(issuer: Issuer, kid: object) -> IssuerKey:
    """The organisation's key named by ``kid`` (full DID URL or fragment), else its current key.

    Only a key that may still sign counts: retired and compromised keys are refused.
    """
    if kid is None:
        return issuers.active_key(issuer)
    for key in issuer.keys:
        if str(kid) in (key.verification_method, key.fragment, f"#{key.fragment}"):
            if issuers.lifecycle(key).usable_for_signing:
                return key
            break
    raise _bad_client(
        "断言所用密钥不是机构当前的密钥",
        "the assertion key is not a current key of the organisation",
        basic=False,
    )


def _client_held_key(session: Session, organisation_id: int, kid: object) -> OrganisationClientKey | None:
    """The organisation's registered own key named ``kid`` (revoked or not), if there is one."""
    if not isinstance(kid, str):
        return None
    return session.scalar(
        select(OrganisationClientKey).where(
            OrganisationClientKey.organisation_id == organisation_id, OrganisationClientKey.kid == kid
        )
    )


def _assertion_public_key(
    session: Session, client: OrganisationClient, kid: object, refused: OAuthError
) -> Ed25519PublicKey:
    """The key an assertion must verify with: the organisation's own registered key named ``kid``
    (docs/decisions/016), else its DID key (named by ``kid``, or the current one)."""
    held = _client_held_key(session, client.organisation_id, kid)
    if held is not None:
        if held.revoked_at is not None:
            raise _bad_client("断言所用的机构公钥已吊销", "the assertion key was revoked", basic=False)
        multibase = held.public_key_multibase
    else:
        issuer = session.get_one(Issuer, client.organisation.issuer_id)
        try:
            multibase = _assertion_key(issuer, kid).public_key_multibase
        except NoUsableKey:
            raise refused from None
    return Ed25519PublicKey.from_public_bytes(decode_ed25519_public_key(multibase))


def _by_assertion(
    session: Session, request: TokenRequest, *, audience: str, now: datetime
) -> OrganisationClient:
    """RFC 7523 §3: check a private_key_jwt client assertion, and that its jti was never used."""
    if request.client_assertion_type != JWT_BEARER:
        raise OAuthError(
            "invalid_request",
            "客户端断言类型（client_assertion_type）应为 jwt-bearer",
            f"client_assertion_type must be {JWT_BEARER}",
        )
    assertion = request.client_assertion or ""
    refused = _bad_client("客户端断言无效", "the client assertion is invalid", basic=False)
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise refused from None
    client_id = unverified.get("iss")
    if header.get("alg") != "EdDSA" or not isinstance(client_id, str) or unverified.get("sub") != client_id:
        raise refused
    if request.client_id is not None and request.client_id != client_id:
        raise refused
    client = _active_client(session, client_id, ClientAuthMethod.PRIVATE_KEY_JWT)
    if client is None:
        raise _bad_client("客户端不存在或已吊销", "unknown or revoked client", basic=False)
    public = _assertion_public_key(session, client, header.get("kid"), refused)
    try:
        claims = jwt.decode(
            assertion,
            public,
            algorithms=["EdDSA"],
            audience=audience,
            issuer=client_id,
            leeway=CLOCK_LEEWAY,
            options={"require": ["exp", "iss", "sub", "aud", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise _bad_client("客户端断言已过期", "the client assertion has expired", basic=False) from None
    except jwt.InvalidAudienceError:
        raise _bad_client(
            "客户端断言的 aud 应为令牌端点地址", f"aud must be {audience}", basic=False
        ) from None
    except jwt.PyJWTError:
        raise refused from None
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    if expires - now > MAX_ASSERTION_LIFETIME + CLOCK_LEEWAY:
        raise _bad_client(
            "客户端断言有效期过长（最多 5 分钟）", "the assertion must expire within 5 minutes", basic=False
        )
    jti = str(claims["jti"])
    if not jti or len(jti) > 200:
        raise refused
    session.execute(delete(UsedClientAssertion).where(UsedClientAssertion.expires_at < now - CLOCK_LEEWAY))
    try:
        with session.begin_nested():
            session.add(UsedClientAssertion(client_id=client_id, jti=jti, expires_at=expires + CLOCK_LEEWAY))
    except IntegrityError:
        raise _bad_client(
            "客户端断言已使用过（jti 重复）", "the assertion was already used (jti)", basic=False
        ) from None
    return client


def _authenticate(
    session: Session, request: TokenRequest, *, audience: str, now: datetime
) -> OrganisationClient:
    """RFC 6749 §2.3: exactly one client authentication method per request."""
    used = [
        name
        for name, present in (
            ("basic", request.authorization is not None),
            ("post", request.client_secret is not None),
            ("jwt", request.client_assertion is not None or request.client_assertion_type is not None),
        )
        if present
    ]
    if len(used) > 1:
        raise OAuthError(
            "invalid_request",
            "一次请求只能使用一种客户端认证方式",
            "use exactly one client authentication method",
        )
    if not used:
        raise _bad_client("缺少客户端凭据", "client authentication is required", basic=False)
    if used == ["basic"]:
        client_id, secret = _basic_credentials(request.authorization or "")
        if request.client_id is not None and request.client_id != client_id:
            raise OAuthError(
                "invalid_request", "client_id 与认证头不一致", "client_id differs from the Basic credentials"
            )
        return _by_secret(session, client_id, secret, basic=True)
    if used == ["post"]:
        if not request.client_id:
            raise OAuthError("invalid_request", "缺少 client_id", "client_id is required with client_secret")
        return _by_secret(session, request.client_id, request.client_secret or "", basic=False)
    return _by_assertion(session, request, audience=audience, now=now)


def issue_client_token(
    session: Session,
    keystore: FileKeyStore,
    settings: Settings,
    request: TokenRequest,
    *,
    now: datetime | None = None,
) -> TokenAnswer:
    """The client-credentials grant (RFC 6749 §4.4): a short-lived organisation token.

    Raises OAuthError: invalid_request, unsupported_grant_type, invalid_client (also when the
    organisation is suspended or has exited), invalid_scope.
    """
    now = now or utcnow()
    if not request.grant_type:
        raise OAuthError("invalid_request", "缺少 grant_type", "grant_type is required")
    if request.grant_type != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type",
            "只支持 client_credentials",
            "only grant_type=client_credentials is supported",
        )
    client = _authenticate(session, request, audience=token_endpoint(settings.public_base_url), now=now)
    organisation = client.organisation
    if organisation.status != OrganisationStatus.ACTIVE:
        raise _bad_client(
            f"机构状态为“{STATUS_NAMES.get(organisation.status, organisation.status)}”，"
            "不能取得访问令牌，请联系人社部门",
            f"the organisation is {organisation.status}: no tokens",
            basic=request.authorization is not None,
        )
    requested = frozenset((request.scope or "").split()) or ORGANISATION_SCOPES
    if not requested <= ORGANISATION_SCOPES:
        raise OAuthError(
            "invalid_scope",
            f"可申请的范围：{' '.join(sorted(ORGANISATION_SCOPES))}",
            f"allowed scopes: {' '.join(sorted(ORGANISATION_SCOPES))}",
        )
    minutes = settings.access_token_minutes
    principal = Principal(
        Role.ORGANISATION, f"{CLIENT_SUBJECT}{client.client_id}", requested, tenant=organisation.code
    )
    token = mint_token(
        keystore,
        issuer=settings.public_base_url,
        audience=settings.public_base_url,
        principal=principal,
        minutes=minutes,
        now=now,
    )
    return TokenAnswer(access_token=token, expires_in=minutes * 60, scope=" ".join(sorted(requested)))


def check_standing(session: Session, principal: Principal) -> None:
    """An organisation's token works only while its client is not revoked and the organisation is
    active, checked on every request (one indexed read): a revocation or a suspension takes effect
    at once, not when the token runs out (docs/decisions/021-edges.md). A token minted by the CLI
    (subject ``org:``) names no client; only the organisation's status is checked then.

    Raises Unauthorized for a revoked or unknown client, Forbidden for a suspended or exited organisation.
    """
    client_id = principal.subject.removeprefix(CLIENT_SUBJECT)
    named_client = client_id != principal.subject
    found = session.execute(
        select(Organisation.status, OrganisationClient.revoked_at, OrganisationClient.id)
        .select_from(Organisation)
        .outerjoin(
            OrganisationClient,
            (OrganisationClient.organisation_id == Organisation.id)
            & (OrganisationClient.client_id == client_id),
        )
        .where(Organisation.code == principal.tenant)
    ).first()
    if named_client and (found is None or found.id is None or found.revoked_at is not None):
        raise Unauthorized(
            "客户端已吊销，访问令牌不再有效 / the client was revoked: its tokens no longer work",
            "client_revoked",
        )
    if found is not None and found.status != OrganisationStatus.ACTIVE:
        raise Forbidden(
            f"机构状态为“{STATUS_NAMES.get(found.status, found.status)}”，访问令牌已停用，请联系人社部门"
            f" / the organisation is {found.status}: its tokens no longer work",
            "organisation_not_active",
        )


def parse_scope_option(text: str) -> ScopeRowInput:
    """``6-18-02-04:电焊工:5,4,3:2026-01-01:2028-12-31`` (工种 empty or ``--`` for none) for the CLI.

    Raises InvalidInput naming the option.
    """
    parts = text.split(":")
    try:
        if len(parts) != 5:
            raise ValueError("five parts separated by ':'")
        code, subtype, levels, start, end = parts
        return ScopeRowInput(
            occupation_code=code.strip(),
            subtype=normalise_subtype(subtype),
            levels=tuple(int(level) for level in levels.split(",") if level.strip()),
            valid_from=date.fromisoformat(start.strip()),
            valid_to=date.fromisoformat(end.strip()),
        )
    except ValueError as exc:
        raise InvalidInput(
            "备案范围格式应为 职业编码:工种:等级:起:止 / --scope is CODE:工种:LEVELS:FROM:TO",
            [FieldError("--scope", f"{text}: {exc} (e.g. 6-18-02-04:电焊工:5,4,3:2026-01-01:2028-12-31)")],
        ) from exc


def scope_inputs(rows: Iterable[ScopeRowIn]) -> list[ScopeRowInput]:
    """Scope rows from request models."""
    return [
        ScopeRowInput(
            occupation_code=row.occupation_code,
            subtype=row.subtype,
            levels=tuple(row.levels),
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )
        for row in rows
    ]
