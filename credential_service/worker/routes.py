"""The worker's JSON API: their own file only (the person comes from the token, never the URL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from credential_service.core.clock import to_xsd
from credential_service.identity import service as identity
from credential_service.identity.models import Person
from credential_service.platform.runtime import Platform
from credential_service.platform.tokens import Principal, Role, allow
from credential_service.records import service as records
from credential_service.records import staff
from credential_service.records.schemas import EntryPosting, PersonLookup, ShareLinkRequest
from credential_service.web.http import JSON, CurrentPrincipal, RuntimeDep
from credential_service.web.openapi import answer
from credential_service.worker import clr
from credential_service.worker import service as worker
from credential_service.worker.models import ShareLink
from credential_service.worker.ports import WorkerRuntimeDep

router = APIRouter(prefix="/api/v1/me", tags=["worker"])
WORKER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or expired token"},
    403: {"description": "not a worker token"},
}


def _me(session: Session, principal: Principal) -> Person:
    allow(principal, Role.WORKER)
    return identity.get_person(session, principal.tenant or "")


def share_link_json(link: ShareLink, base_url: str, token: str | None = None) -> dict[str, Any]:
    return {
        "id": link.public_id,
        "certificate_number": link.certificate_number,
        "created_at": to_xsd(link.created_at),
        "expires_at": to_xsd(link.expires_at),
        "state": worker.share_link_state(link),
        **({"url": f"{base_url.rstrip('/')}/s/{token}"} if token else {}),
    }


def _plain(item: Any) -> dict[str, Any]:
    """A dataclass as JSON-ready fields, shallowly (``asdict`` deep-copies nested facts: 10× slower)."""
    names = _FIELD_NAMES.get(type(item))
    if names is None:
        names = _FIELD_NAMES[type(item)] = tuple(f.name for f in fields(item))
    return {name: _jsonable(getattr(item, name)) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per dataclass: ``fields()`` rebuilds a tuple per call


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_xsd(value)
    return value.isoformat() if isinstance(value, date) else value


@router.get("", summary="Who I am (masked)", responses=WORKER_ERRORS)
def me(principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        profile = worker.profile(_me(session, principal))
    return JSON(_plain(profile))


@router.get("/file", summary="My whole lifelong file, oldest first", responses=WORKER_ERRORS)
def my_file(principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.WORKER)
    with runtime.read_session() as session:
        entries = worker.file_of(session, principal.tenant or "")
    return JSON([_plain(entry) for entry in entries])


@router.get("/certificates", summary="My certificates and their status", responses=WORKER_ERRORS)
def my_certificates(principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    return _listed(principal, runtime, worker.my_certificates)


@router.get("/verifications", summary="Who verified my certificates, and when", responses=WORKER_ERRORS)
def my_verifications(principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    return _listed(principal, runtime, worker.my_verifications)


def _listed(
    principal: Principal, runtime: Platform, read: Callable[[Session, Person], Sequence[Any]]
) -> JSON:
    """One of the worker's own lists (``read``), its items as plain JSON objects."""
    with runtime.read_session() as session:
        items = read(session, _me(session, principal))
    return JSON([_plain(item) for item in items])


@router.get("/share-links", summary="My share links", responses=WORKER_ERRORS)
def my_share_links(principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        links = worker.my_share_links(session, _me(session, principal))
        return JSON([share_link_json(link, runtime.settings.public_base_url) for link in links])


@router.post(
    "/share-links",
    status_code=201,
    summary="Create a share link (the URL is shown once)",
    responses={**WORKER_ERRORS, 404: {"description": "you hold no such certificate"}},
)
def create_share_link(body: ShareLinkRequest, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    with runtime.session() as session:
        created = worker.create_share_link(
            session, _me(session, principal), certificate_number=body.certificate_number, days=body.days
        )
        return JSON(
            share_link_json(created.link, runtime.settings.public_base_url, created.token), status_code=201
        )


@router.delete("/share-links/{link_id}", summary="Withdraw a share link", responses=WORKER_ERRORS)
def withdraw_share_link(link_id: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    with runtime.session() as session:
        link = worker.withdraw_share_link(session, _me(session, principal), link_id)
        return JSON(share_link_json(link, runtime.settings.public_base_url))


@router.get(
    "/export/data", summary="Everything held about me, as JSON (PIPL access right)", responses=WORKER_ERRORS
)
def export_data(principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        data = worker.data_export(session, _me(session, principal))
    return JSON(data, headers={"Content-Disposition": 'attachment; filename="my-training-file.json"'})


@router.get(
    "/export/clr",
    summary="My whole file as one signed CLR 2.0 ClrCredential",
    responses={**WORKER_ERRORS, 200: answer("the signed ClrCredential", "application/vc+ld+json")},
)
def export_clr(principal: CurrentPrincipal, runtime: WorkerRuntimeDep) -> JSON:
    allow(principal, Role.WORKER)
    with runtime.session() as session:  # the CLR is issued: recorded, logged, with status entries
        signed = clr.export_for(session, runtime.keystore, runtime.issuance, principal)
    return JSON(
        signed,
        media_type="application/vc+ld+json",
        headers={"Content-Disposition": 'attachment; filename="my-training-record.clr.json"'},
    )


staff_router = APIRouter(prefix="/api/v1/admin/persons", tags=["staff"])
STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or expired token"},
    403: {"description": "not staff"},
    404: {"description": "no such person"},
}


@staff_router.post("/lookup", summary="Find a person's file by (证件类型, 证件号码)", responses=STAFF_ERRORS)
def lookup_person(body: PersonLookup, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.session() as session:
        person = staff.find_person(
            session, runtime.settings.data_key_bytes, body.document_type, body.id_number
        )
        profile = worker.profile(person)
    return JSON(_plain(profile))


@staff_router.get("/{person_id}/file", summary="A person's file and its chain check", responses=STAFF_ERRORS)
def person_file(person_id: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN, Role.AUDITOR)
    with runtime.read_session() as session:
        person = identity.get_person(session, person_id)
        entries = worker.my_file(session, person)
        problems = records.verify_file(session, person)
    return JSON(
        {
            "entries": [_plain(e) for e in entries],
            "chain": {"intact": not problems, "problems": [_plain(p) for p in problems]},
        }
    )


@staff_router.post(
    "/{person_id}/entries",
    status_code=201,
    responses={**STAFF_ERRORS, 422: {"description": "bad entry"}},
    summary="Record a certificate from elsewhere, an exam result or a correction (never a subsidy)",
)
def add_entry(person_id: str, body: EntryPosting, principal: CurrentPrincipal, runtime: RuntimeDep) -> JSON:
    allow(principal, Role.ADMIN)
    with runtime.session() as session:
        entry = staff.record_entry(
            session, identity.get_person(session, person_id), body, actor=principal.subject
        )
        return JSON({"seq": entry.seq, "kind": entry.kind, "entry_hash": entry.entry_hash}, status_code=201)
