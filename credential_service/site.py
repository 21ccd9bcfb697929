"""Health, published schemas and contexts, and the home page."""

from __future__ import annotations

import hmac
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import text

from credential_service.core.clock import as_utc, utcnow
from credential_service.core.errors import Forbidden, NotFound
from credential_service.crypto.jsonld import PINNED_CONTEXTS, load_context
from credential_service.platform.metrics import DatabaseGauges, LogFigures, exposition
from credential_service.platform.runtime import Platform
from credential_service.transparency import service as log
from credential_service.verification.trust import published_schema
from credential_service.web.http import JSON, RuntimeDep
from credential_service.web.i18n import TEXTS, pick_lang
from credential_service.web.templating import render

router = APIRouter(tags=["service"])
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
IMMUTABLE = {"Cache-Control": "public, max-age=86400"}


@router.get("/healthz", summary="Liveness and database reachability")
def healthz(runtime: RuntimeDep) -> JSON:
    with runtime.read_session() as session:
        session.execute(text("SELECT 1"))
    return JSON({"status": "ok"})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus metrics for loopback scrapers or the holder of ``CS_METRICS_TOKEN``."""
    token = runtime.settings.metrics_token
    sent = request.headers.get("authorization", "")
    local = request.client is not None and request.client.host in LOOPBACK
    if not local and not (token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())):
        raise Forbidden("只有监控系统可以读取 / for the monitoring system only", "metrics")
    body, content_type = exposition(DatabaseGauges(partial(_log_figures, runtime)))
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


def _log_figures(runtime: Platform) -> LogFigures:
    with runtime.read_session() as session:
        size = log.tree_size(session)
        latest = log.latest_checkpoint(session)
    age = (utcnow() - as_utc(latest.signed_at)).total_seconds() if latest is not None else None
    return LogFigures(size, age)


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


# The ways in, one per kind of user (path, zh label, zh who, en label, en who).
WAYS_IN = (
    (
        "/check",
        "查验证书",
        "用人单位、人事专员：扫码或输入证书编号和姓名查验真伪",
        "Check a certificate",
        "Employers: scan the QR code or enter the number and name",
    ),
    (
        "/me",
        "我的档案",
        "劳动者：用社会保障卡查看本人培训档案和证书",
        "My file",
        "Workers: your training file and certificates",
    ),
    (
        "/org",
        "企业自主评价",
        "企业和评价机构：申报计划、上传成绩、公示、发证",
        "Enterprise assessment",
        "Enterprises and evaluation bodies: plans, results, publicity, issuing",
    ),
    (
        "/institution",
        "培训机构",
        "培训机构：开班、花名册、考勤和结业",
        "Training institutions",
        "Classes, rosters, attendance and completions",
    ),
    (
        "/publicity",
        "评价结果公示",
        "公示期内的评价结果和异议渠道",
        "Results in publicity",
        "Assessment results open for objections",
    ),
    (
        "/stats",
        "技能人才统计",
        "证书发放、技能人才占比和补贴性培训进度",
        "Skills statistics",
        "Certificates issued, skilled workers and subsidised trainings",
    ),
    ("/admin", "管理", "人社部门工作人员和审计人员", "Administration", "Staff and auditors"),
)
HOME_TEXTS = {
    "zh": {
        "lead": "人人持证、技能社会：职业技能培训电子档案与职业技能等级证书的签发和查验。",
        "developers": "开发者",
        "docs": "接口文档",
        "did": "平台公钥（DID）",
        "bundle": "离线核验资料",
        "contexts": "JSON-LD 上下文",
        "log": "透明日志",
    },
    "en": {
        "lead": "Lifelong training files and skill-level certificates: issued, shared and checked.",
        "developers": "Developers",
        "docs": "API documentation",
        "did": "Platform DID document",
        "bundle": "Offline trust bundle",
        "contexts": "Pinned JSON-LD contexts",
        "log": "Transparency log",
    },
}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
    english = lang == "en"
    ways = [
        {"href": path, "label": en_label if english else label, "who": en_who if english else who}
        for path, label, who, en_label, en_who in WAYS_IN
    ]
    return render(
        request, "home.html", {"title": TEXTS[lang]["site"], "ways": ways, "home": HOME_TEXTS[lang]}
    )
