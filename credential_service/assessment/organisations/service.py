"""Evaluation organisations (评价机构): registration (备案) with scope, status, and the registry's
word on an issuance (``may_issue``).

Administrators register an organisation: its issuer (did:web and first key) is created through
``issuers.service``, its scope rows and first status period are stored, and the platform signs an
OB 3.0 ``EndorsementCredential`` of the registration (``endorsements``); every change of scope or
status signs a new version. OAuth clients and tokens of organisations are in ``clients``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credential_service.assessment.occupations.rules import like_pattern
from credential_service.assessment.occupations.service import (
    catalogue,
    ensure_builtin_occupations,
    occupation_names,
)
from credential_service.assessment.organisations.endorsements import endorsement_url, sign_endorsement
from credential_service.assessment.organisations.errors import (
    EndorsementNotFound,
    InvalidRegistration,
    OrganisationExists,
    OrganisationExited,
    OrganisationNotFound,
)
from credential_service.assessment.organisations.models import (
    Endorsement,
    Organisation,
    ScopeRow,
    StatusPeriod,
)
from credential_service.assessment.organisations.rules import (
    ACTIVE,
    ORG_TYPE_NAMES,
    OrganisationStatus,
    ScopeRowInput,
    active_some_time_in,
    format_levels,
    in_scope,
    normalise_subtype,
    organisation_code,
    organisation_code_problems,
    parse_levels,
    scope_problems,
    status_change_allowed,
    status_on,
)
from credential_service.assessment.organisations.schemas import (
    OrganisationList,
    OrganisationOut,
    ScopeRowIn,
    ScopeRowOut,
    StatusPeriodOut,
)
from credential_service.audit import service as audit
from credential_service.certificates.credential import Occupation as CertifiedOccupation
from credential_service.certificates.rules import SkillLevel
from credential_service.core.clock import beijing_date, utcnow
from credential_service.core.config import Settings
from credential_service.core.errors import FieldError, InvalidInput, NotFound
from credential_service.crypto.keystore import KeyStore
from credential_service.identity.credit_code import CreditCodeError, validate_credit_code
from credential_service.issuers import service as issuers
from credential_service.issuers.errors import IssuerNotFound
from credential_service.issuers.models import Issuer, IssuerKind
from credential_service.platform import generations


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
    names = occupation_names(session, (row.occupation_code for o in organisations for row in o.scope))
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
        pattern = like_pattern(q.strip())
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
    return scope_problems(scope, catalogue(session, (row.occupation_code for row in scope)), loc=loc)


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
        raise OrganisationExists(f"机构代码 {code} 已被使用 / the organisation code {code} is already in use")
    existing.name = name
    return existing


def _registration_problems(
    session: Session, settings: Settings, *, org_type: str, credit_code: str, name: str,
    mohrss_code: str, site_serial: str, scope: Sequence[ScopeRowInput],
) -> tuple[list[FieldError], str]:  # fmt: skip
    """Every problem of a registration, and the credit code as validated."""
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
    return problems, credit


def _refuse_registered(session: Session, code: str, credit: str) -> None:
    if session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        raise OrganisationExists(f"机构代码 {code} 已备案 / organisation {code} is already registered")
    if session.scalar(select(Organisation.id).where(Organisation.credit_code == credit)) is not None:
        raise OrganisationExists(
            "该统一社会信用代码已备案为另一评价机构 / "
            "this credit code is already registered for an organisation",
            code="credit_code_registered",
        )


def _endorse(
    session: Session,
    keystore: KeyStore,
    settings: Settings,
    organisation: Organisation,
    *,
    now: datetime,
    audit_entry: tuple[str, str, dict[str, Any]],
) -> OrganisationOut:
    """Sign the registration's next endorsement, audit the change (actor, action, detail) with the
    version signed, and answer with the organisation as it now stands."""
    issuer = session.get_one(Issuer, organisation.issuer_id)
    periods = status_history(session, organisation)
    version = sign_endorsement(
        session, keystore, settings, organisation, issuer=issuer, periods=periods, now=now
    )
    actor, action, detail = audit_entry
    generations.bump(session)  # the registry's word on certificates already issued may change
    audit.record(
        session,
        actor=actor,
        action=action,
        subject=f"organisation:{organisation.code}",
        detail={**detail, "endorsementVersion": version},
    )
    return describe_organisation(session, organisation.code, public_base_url=settings.public_base_url)


def _new_organisation(
    session: Session,
    keystore: KeyStore,
    settings: Settings,
    *,
    code: str,
    org_type: str,
    credit: str,
    name: str,
    now: datetime,
) -> Organisation:
    """The active organisation, its issuer and first status period; raises OrganisationExists."""
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
        raise OrganisationExists(
            f"机构代码 {code} 或统一社会信用代码已备案 / "
            f"organisation {code} or its credit code is already registered"
        ) from None
    session.add(
        StatusPeriod(
            organisation_id=organisation.id,
            status=OrganisationStatus.ACTIVE.value,
            since=now,
            reason="备案 / registered",
        )
    )
    return organisation


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
    InvalidRegistration naming every bad field, OrganisationExists when the code or the credit code
    is registered.
    """
    now = now or utcnow()
    org_type = org_type.strip().upper()
    mohrss_code, site_serial, name = mohrss_code.strip(), site_serial.strip(), name.strip()
    problems, credit = _registration_problems(
        session, settings, org_type=org_type, credit_code=credit_code, name=name,
        mohrss_code=mohrss_code, site_serial=site_serial, scope=scope,
    )  # fmt: skip
    if problems:
        raise InvalidRegistration(problems)
    code = organisation_code(org_type, mohrss_code, settings.province_code, site_serial)
    _refuse_registered(session, code, credit)
    organisation = _new_organisation(
        session, keystore, settings, code=code, org_type=org_type, credit=credit, name=name, now=now
    )
    _store_scope(session, organisation, scope)
    detail = {"creditCode": credit, "name": name, "scopeRows": len(scope)}
    return _endorse(
        session, keystore, settings, organisation, now=now,
        audit_entry=(actor, "organisation.register", detail),
    )  # fmt: skip


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

    Raises OrganisationNotFound, InvalidInput without a reason, OrganisationExited after exit.
    """
    now = now or utcnow()
    if not reason.strip():
        raise InvalidInput(
            "请说明原因 / give a reason",
            [FieldError("reason", "原因不能为空 / the reason must not be blank")],
        )
    organisation = get_organisation(session, code, lock=True)
    if not status_change_allowed(organisation.status, status):
        raise OrganisationExited(
            "机构已退出，不能恢复，请重新备案 / the organisation has exited: register it again instead"
        )
    if organisation.status == status.value:
        return describe_organisation(session, organisation.code, public_base_url=settings.public_base_url)
    previous = organisation.status
    organisation.status = status.value
    session.add(
        StatusPeriod(organisation_id=organisation.id, status=status.value, since=now, reason=reason.strip())
    )
    session.flush()
    detail = {"from": previous, "to": status.value, "reason": reason.strip()}
    return _endorse(
        session, keystore, settings, organisation, now=now, audit_entry=(actor, "organisation.status", detail)
    )


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
    Raises OrganisationNotFound, InvalidRegistration naming each bad row, OrganisationExited after exit.
    """
    now = now or utcnow()
    organisation = get_organisation(session, code, lock=True)
    if organisation.status == OrganisationStatus.EXITED:
        raise OrganisationExited(
            "机构已退出，不能变更备案范围 / the organisation has exited: its scope cannot change"
        )
    problems = _checked_scope(session, scope)
    if problems:
        raise InvalidRegistration(problems)
    session.execute(delete(ScopeRow).where(ScopeRow.organisation_id == organisation.id))
    _store_scope(session, organisation, scope)
    detail: dict[str, Any] = {"scopeRows": len(scope)}
    return _endorse(
        session, keystore, settings, organisation, now=now, audit_entry=(actor, "organisation.scope", detail)
    )


def endorsement(session: Session, code: str, version: int | None = None) -> dict[str, Any]:
    """The signed endorsement (the newest, or one version); raises OrganisationNotFound / NotFound."""
    organisation = get_organisation(session, code)
    query = select(Endorsement).where(Endorsement.organisation_id == organisation.id)
    if version is not None:
        query = query.where(Endorsement.version == version)
    found = session.scalars(query.order_by(Endorsement.version.desc()).limit(1)).first()
    if found is None:
        raise EndorsementNotFound()
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
