"""did:web documents: the platform at /.well-known/did.json, each organisation at /orgs/{code}/did.json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from credential_service.issuers import service
from credential_service.issuers.rules import PLATFORM_CODE
from credential_service.web.http import JSON, RuntimeDep
from credential_service.web.openapi import answer

router = APIRouter(tags=["issuers"])
DID_HEADERS = {"Cache-Control": "public, max-age=300"}
DID_MEDIA = "application/did+json"


def _did_document(runtime: RuntimeDep, code: str) -> dict[str, Any]:
    with runtime.read_session() as session:
        return service.did_document(service.get_issuer(session, code))


def _lifecycle(runtime: RuntimeDep, code: str) -> dict[str, Any]:
    with runtime.read_session() as session:
        return service.key_lifecycle_document(service.get_issuer(session, code))


@router.get(
    "/.well-known/did.json",
    summary="The platform's DID document",
    responses={200: answer("the DID document", DID_MEDIA), 404: {"description": "not initialised"}},
)
def platform_did(runtime: RuntimeDep) -> JSON:
    return JSON(_did_document(runtime, PLATFORM_CODE), headers=DID_HEADERS, media_type=DID_MEDIA)


@router.get("/.well-known/keys.json", summary="When each platform key was created, retired, compromised")
def platform_keys(runtime: RuntimeDep) -> JSON:
    return JSON(_lifecycle(runtime, PLATFORM_CODE), headers=DID_HEADERS)


@router.get(
    "/orgs/{org_code}/did.json",
    summary="An evaluation organisation's DID document",
    responses={200: answer("the DID document", DID_MEDIA), 404: {"description": "no such organisation"}},
)
def organisation_did(org_code: str, runtime: RuntimeDep) -> JSON:
    return JSON(_did_document(runtime, org_code), headers=DID_HEADERS, media_type=DID_MEDIA)


@router.get("/orgs/{org_code}/keys.json", summary="An organisation's key lifecycle")
def organisation_keys(org_code: str, runtime: RuntimeDep) -> JSON:
    return JSON(_lifecycle(runtime, org_code), headers=DID_HEADERS)
