"""A verdict as a person reads it, on the QR page, the check page and the list check's export."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from credential_service.certificates.status.rules import ReasonCode
from credential_service.core.clock import beijing_text
from credential_service.verification.tokens import TokenVerification
from credential_service.web.i18n import TEXTS, Lang, pick_lang


def page_lang(request: Request) -> Lang:
    return pick_lang(request.query_params.get("lang"), request.cookies.get("lang"))


def status_note(result: TokenVerification, lang: Lang) -> str:
    """Why a certificate is no longer valid, since when, and its replacement ("" while valid)."""
    status, t = result.status, TEXTS[lang]
    if status is None or status.state == "valid":
        return ""
    parts = []
    if status.reason_code in set(ReasonCode):
        reason = ReasonCode(status.reason_code)
        parts.append(f"{t['status_reason']}：{reason.label_zh if lang == 'zh' else reason.label_en}")
    if status.changed_at:
        parts.append(f"{t['status_date']}：{beijing_text(status.changed_at)}")
    if status.superseded_by:
        parts.append(f"{t['superseded_by']}：{status.superseded_by}")
    return " · ".join(parts)


@dataclass(frozen=True)
class VerdictView:
    """What the verdict partial (``_verdict.html``) shows of one certificate."""

    result: TokenVerification
    status_note: str

    @classmethod
    def of(cls, result: TokenVerification, lang: Lang) -> VerdictView:
        return cls(result, status_note(result, lang))
