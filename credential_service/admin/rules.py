"""Pure helpers of the staff pages: paging, and masking anything shaped like an ID number."""

from __future__ import annotations

import re

from credential_service.identity.rules import mask_id_number

PAGE_SIZE = 50
# 18 characters of a 居民身份证 number (17 digits and a digit or X), not inside a longer number.
_ID_NUMBER_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_id_like(text: str) -> str:
    """``text`` with every ID-number-shaped run masked (140***********1234).

    The audit trail never stores a clear ID number; the staff pages mask such runs anyway, so that a
    number typed into a free-text reason cannot reach an auditor's screen.
    """
    return _ID_NUMBER_LIKE.sub(lambda m: mask_id_number(m.group(0)), text)


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for ``total`` rows (at least one, so an empty list still has page 1)."""
    return max(1, -(-total // size))


def page_offset(page: int, size: int = PAGE_SIZE) -> int:
    """Row offset of a 1-based page."""
    return (max(page, 1) - 1) * size
