"""The worker's pages (server-rendered, no JavaScript needed) and the public share-link page."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from credential_service.certificates import printable
from credential_service.core.errors import ServiceError
from credential_service.identity import service as identity
from credential_service.identity.rules import DOCUMENT_TYPE_NAMES
from credential_service.identity.signin.assertions import AssertedIdentity, dev_assertion
from credential_service.platform.tokens import Role
from credential_service.records.rules import ENTRY_TITLES
from credential_service.subsidies import claims as subsidy_claims
from credential_service.subsidies import views as subsidy_views
from credential_service.subsidies.ports import SubsidiesRuntimeDep
from credential_service.subsidies.rules import SubsidyType
from credential_service.web.http import (
    JSON,
    RuntimeDep,
    check_csrf,
    check_form_csrf,
    private_download,
    rate_limit,
    session_started,
)
from credential_service.web.i18n import FACT_LABELS, HIDDEN_FACTS, fact_text, pick_lang, yuan_text
from credential_service.web.sessions import PageSession, pre_session_form, sign_out, signed_in
from credential_service.web.templating import error_page, render
from credential_service.worker import clr
from credential_service.worker import service as worker
from credential_service.worker.errors import ShareLinkGone
from credential_service.worker.ports import WorkerRuntimeDep

router = APIRouter(include_in_schema=False)
SIGNIN_PATH = "/signin"
Me = Annotated[PageSession, Depends(signed_in(Role.WORKER, signin_path=SIGNIN_PATH))]
Csrf = Annotated[str, Form(max_length=64)]


def _signin_page(
    request: Request, runtime: RuntimeDep, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {
        "title": "登录",
        "dev_enabled": runtime.settings.dev_idp_enabled,
        "document_types": [(t.value, label) for t, label in DOCUMENT_TYPE_NAMES.items()],
        "error": error,
    }
    return pre_session_form(request, runtime, "signin.html", context, status=status)


@router.get("/signin")
def signin(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _signin_page(request, runtime)


@router.post("/signin/dev")
def dev_signin(
    request: Request,
    runtime: RuntimeDep,
    document_type: Annotated[str, Form(max_length=24)],
    id_number: Annotated[str, Form(max_length=20)],
    name: Annotated[str, Form(max_length=50)],
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The development identity provider: signs an assertion as the national card would, then signs in."""
    settings = runtime.settings
    if not settings.dev_idp_enabled:
        return render(
            request, "message.html", {"title": "404", "heading": "404", "message": "not found"}, status=404
        )
    rate_limit(runtime.signin_limiter, request)
    check_form_csrf(request, runtime, csrf)
    assertion = dev_assertion(
        runtime.keystore,
        audience=settings.public_base_url,
        identity=AssertedIdentity(document_type, id_number, name, "L2"),
    )
    try:
        with runtime.session() as session:
            signed_in = identity.sign_in_worker(session, runtime.keystore, settings, assertion)
    except ServiceError as exc:
        detail = "; ".join(f"{e.loc}: {e.reason}" for e in exc.errors) or exc.message
        return _signin_page(request, runtime, error=detail, status=exc.status)
    return session_started(
        "/me", signed_in.access_token, max_age=signed_in.expires_in, public_base_url=settings.public_base_url
    )


@router.post("/signout")
def signout(request: Request, runtime: RuntimeDep, csrf: Csrf = "") -> Response:
    return sign_out(request, runtime, csrf, Role.WORKER, signin_path=SIGNIN_PATH)


@router.get("/me")
def my_file_page(request: Request, runtime: RuntimeDep, me: Me) -> Response:
    with runtime.read_session() as session:
        person = identity.get_person(session, me.tenant)
        context: dict[str, Any] = {
            "title": "我的档案",
            "signed_in": True,
            "csrf": me.csrf,
            "profile": worker.profile(person),
            "certificates": worker.my_certificates(session, person),
            "share_links": [
                {**link.__dict__, "state": worker.share_link_state(link)}
                for link in worker.my_share_links(session, person)
            ],
            "entries": list(reversed(worker.my_file(session, person))),
            "verifications": worker.my_verifications(session, person),
            "subsidy_claims": subsidy_views.views(session, subsidy_claims.claims_of_person(session, person)),
        }
    # A certificate claimed before shows its claim's state instead of the button (claiming again
    # would only answer with the same claim).
    context["claimed"] = {
        c.certificate_number: c.state
        for c in context["subsidy_claims"]
        if c.subsidy_type is SubsidyType.SKILL_UPGRADE and c.certificate_number
    }
    context["claim_filed"] = request.query_params.get("claimed") == "1"
    context["yuan"] = yuan_text
    lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))
    context["titles"] = {
        kind.value: titles[1 if lang == "en" else 0] for kind, titles in ENTRY_TITLES.items()
    }
    context["fact_labels"] = FACT_LABELS[lang]
    context["fact_value"] = partial(fact_text, lang=lang)
    context["hidden_facts"] = HIDDEN_FACTS
    return render(request, "me.html", context)


@router.post("/me/subsidy-claims")
def claim_skill_upgrade_page(
    request: Request,
    runtime: SubsidiesRuntimeDep,
    me: Me,
    certificate_number: Annotated[str, Form(max_length=40)] = "",
    csrf: Csrf = "",
) -> Response:
    """The one-click 技能提升补贴 claim for one of the worker's certificates, as the API does: the rules
    judge it at once and the answer is shown with the claim on /me (a refusal names each rule)."""
    check_csrf(me.token, csrf)
    with runtime.session() as session:
        subsidy_claims.claim_skill_upgrade(
            session,
            runtime.social_insurance,
            data_key=runtime.settings.data_key_bytes,
            person=identity.get_person(session, me.tenant),
            certificate_number=certificate_number.strip(),
            actor=me.principal.subject,
        )
    return RedirectResponse("/me?claimed=1#subsidies", status_code=303)


@router.get("/me/certificates/{certificate_number}/credential.json")
def my_credential_download(
    certificate_number: str, request: Request, runtime: RuntimeDep, me: Me
) -> Response:
    with runtime.read_session() as session:
        credential = worker.my_credential(
            session, identity.get_person(session, me.tenant), certificate_number
        )
    disposition = f'attachment; filename="{certificate_number}.json"'
    return JSON(credential, media_type="application/vc+ld+json", headers={"Content-Disposition": disposition})


@router.get("/me/certificates/{certificate_number}/certificate.pdf")
def my_certificate_pdf(certificate_number: str, request: Request, runtime: RuntimeDep, me: Me) -> Response:
    """The printable certificate, same access rule as the API (the signed-in worker's own only)."""
    try:
        with runtime.session() as session:
            pdf = printable.readable_certificate_pdf(
                session, runtime.keystore, runtime.settings, me.principal, certificate_number
            )
        return private_download(pdf, "application/pdf", f"{certificate_number}.pdf")
    except ServiceError as exc:  # a person clicked a link: answer with a page, not a problem document
        return error_page(request, exc)


@router.post("/me/share-links")
def create_share_link_page(
    request: Request,
    runtime: RuntimeDep,
    me: Me,
    csrf: Annotated[str, Form(max_length=64)] = "",
    certificate_number: Annotated[str, Form(max_length=22)] = "",
    days: Annotated[int, Form(ge=1, le=365)] = 30,
) -> Response:
    check_csrf(me.token, csrf)
    with runtime.session() as session:
        created = worker.create_share_link(
            session,
            identity.get_person(session, me.tenant),
            certificate_number=certificate_number or None,
            days=days,
        )
        url = f"{runtime.settings.public_base_url.rstrip('/')}/s/{created.token}"
        expires_at = created.link.expires_at
    context = {
        "title": "分享",
        "signed_in": True,
        "csrf": me.csrf,
        "url": url,
        "expires_at": expires_at,
    }
    return render(request, "share_created.html", context, status=201)


@router.post("/me/share-links/{link_id}/withdraw")
def withdraw_share_link_page(
    link_id: str,
    request: Request,
    runtime: RuntimeDep,
    me: Me,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(me.token, csrf)
    with runtime.session() as session:
        worker.withdraw_share_link(session, identity.get_person(session, me.tenant), link_id)
    return RedirectResponse("/me#share-links", status_code=303)


@router.get("/me/export/data.json")
def export_data_page(request: Request, runtime: RuntimeDep, me: Me) -> Response:
    with runtime.read_session() as session:
        data = worker.data_export(session, identity.get_person(session, me.tenant))
    return JSON(data, headers={"Content-Disposition": 'attachment; filename="my-training-file.json"'})


@router.get("/me/export/clr.json")
def export_clr_page(request: Request, runtime: WorkerRuntimeDep, me: Me) -> Response:
    with runtime.session() as session:
        signed = clr.export_for(session, runtime.keystore, runtime.issuance, me.principal)
    return JSON(
        signed,
        media_type="application/vc+ld+json",
        headers={"Content-Disposition": 'attachment; filename="my-training-record.clr.json"'},
    )


@router.get("/s/{token}")
def shared_page(token: str, request: Request, runtime: WorkerRuntimeDep) -> HTMLResponse:
    try:
        with runtime.read_session() as session:
            view = worker.open_share_link(session, token, runtime.verification_log)
    except ShareLinkGone:
        return render(
            request,
            "message.html",
            {
                "title": "410",
                "heading": "链接已失效 / Link expired",
                "message": ShareLinkGone().message,
            },
            status=410,
        )
    return render(request, "shared.html", {"title": "分享的证书", "view": view})


@router.get("/s/{token}/{certificate_number}.pdf")
def shared_certificate_pdf(token: str, certificate_number: str, runtime: WorkerRuntimeDep) -> Response:
    """The printable certificate of a shared certificate (an employer keeps it with the hiring file)."""
    with runtime.session() as session:  # a certificate from before QR codes gets its QR code now
        pdf = worker.shared_certificate_pdf(
            session,
            runtime.keystore,
            token,
            certificate_number,
            runtime.verification_log,
            public_base_url=runtime.settings.public_base_url,
            font_path=runtime.settings.pdf_font,
        )
    return private_download(pdf, "application/pdf", f"{certificate_number}.pdf")


@router.get("/s/{token}/{certificate_number}.json")
def shared_credential(token: str, certificate_number: str, runtime: WorkerRuntimeDep) -> Response:
    with runtime.read_session() as session:
        view = worker.open_share_link(session, token, runtime.verification_log)
    credential = view.credentials.get(certificate_number)
    if credential is None:
        raise ShareLinkGone()
    return JSON(credential, media_type="application/vc+ld+json")
