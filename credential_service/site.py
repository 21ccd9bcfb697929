"""Health, published schemas and contexts, and the home page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from credential_service.core.errors import NotFound
from credential_service.crypto.jsonld import PINNED_CONTEXTS, load_context
from credential_service.verification.trust import published_schema
from credential_service.web.http import JSON, RuntimeDep
from credential_service.web.templating import PAGE_HEADERS

router = APIRouter(tags=["service"])
IMMUTABLE = {"Cache-Control": "public, max-age=86400"}


@router.get("/healthz", summary="Liveness and database reachability")
def healthz(runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        session.execute(text("SELECT 1"))
    return JSON({"status": "ok"})


@router.get(
    "/schemas/{name}",
    summary="A JSON Schema the service publishes",
    responses={404: {"description": "no such schema"}},
)
def schema(name: str) -> JSON:
    found = published_schema(name)
    if found is None:
        raise NotFound(f"没有这个数据格式 / no schema {name}")
    return JSON(found, headers=IMMUTABLE, media_type="application/schema+json")


@router.get("/contexts", summary="The JSON-LD contexts pinned in the service (URL → local copy)")
def contexts() -> JSON:
    return JSON({url: f"/contexts/{name}" for url, name in PINNED_CONTEXTS.items()})


@router.get(
    "/contexts/{name}",
    summary="A pinned JSON-LD context, byte-identical to its source",
    responses={404: {"description": "no such context"}},
)
def context(name: str) -> JSON:
    for url, file_name in PINNED_CONTEXTS.items():
        if file_name == name:
            return JSON(load_context(url), headers=IMMUTABLE, media_type="application/ld+json")
    raise NotFound(f"没有这个上下文 / no context {name}")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(runtime: RuntimeDep) -> HTMLResponse:
    base = runtime.settings.public_base_url
    return HTMLResponse(
        f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>职业技能等级证书服务</title></head><body>
<h1>职业技能等级证书服务 <small>Skills record and credential service</small></h1>
<ul>
<li><a href="/docs">接口文档 API documentation</a></li>
<li><a href="/.well-known/did.json">平台公钥 (DID) Platform DID document</a></li>
<li><a href="/api/v1/trust-bundle">离线核验资料 Offline trust bundle</a></li>
<li><a href="/contexts">固定的 JSON-LD 上下文 Pinned contexts</a></li>
</ul><p>{base}</p></body></html>""",
        headers=PAGE_HEADERS,
    )
