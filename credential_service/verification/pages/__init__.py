"""The verification part's pages: the QR page (/v/{token}), the check by number and name (/check)
and the list check (/check/bulk)."""

from __future__ import annotations

from fastapi import APIRouter

from credential_service.verification.pages import bulk, check, qr

router = APIRouter(include_in_schema=False)
for part in (qr, check, bulk):
    router.include_router(part.router)
