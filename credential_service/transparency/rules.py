"""What a log leaf may hold (pure): leaves are public, so each kind admits a fixed set of short fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from credential_service.core.clock import to_xsd
from credential_service.core.errors import FieldError, InvalidInput


class LeafKind(StrEnum):
    CREDENTIAL_ISSUED = "credential.issued"
    CREDENTIAL_STATUS = "credential.status"
    SUBSIDY_STEP = "subsidy.step"  # a subsidy claim's step: claimed, refused, paid, recovery (decision 032)


# What a leaf may hold, per kind (required, optional). Nothing else gets in: leaves are public, so
# no personal data (no names, no ID numbers, no certificate numbers: those must not become an index).
LEAF_FIELDS: dict[LeafKind, tuple[frozenset[str], frozenset[str]]] = {
    LeafKind.CREDENTIAL_ISSUED: (
        frozenset({"credentialId", "digest", "issuer", "verificationMethod"}),
        frozenset(),
    ),
    LeafKind.CREDENTIAL_STATUS: (
        frozenset({"credentialId", "purpose", "value"}),
        frozenset({"reason"}),
    ),
    # The claim's random id, never the person or the certificate number.
    LeafKind.SUBSIDY_STEP: (
        frozenset({"claimId", "step", "subsidyType"}),
        frozenset({"amountYuan", "ruleSetVersion", "ruleSetSha256"}),
    ),
}
MAX_FIELD_CHARS = 255


def leaf_document(kind: LeafKind, data: Mapping[str, Any], logged_at: datetime) -> dict[str, Any]:
    """The leaf's JSON: the caller's fields, checked, plus ``kind`` and ``loggedAt``.

    Raises InvalidInput for a missing or unknown field or a value that is not a short scalar.
    """
    required, optional = LEAF_FIELDS[kind]
    problems = [FieldError(name, "missing") for name in sorted(required - data.keys())]
    problems += [
        FieldError(name, "not allowed in a log leaf") for name in sorted(data.keys() - required - optional)
    ]
    for name, value in data.items():
        if not isinstance(value, str | bool | int) or (
            isinstance(value, str) and len(value) > MAX_FIELD_CHARS
        ):
            problems.append(
                FieldError(name, f"must be a string (≤ {MAX_FIELD_CHARS}), a number or a boolean")
            )
    if problems:
        raise InvalidInput(f"透明日志条目无效 / invalid {kind.value} log leaf", problems)
    return {**data, "kind": kind.value, "loggedAt": to_xsd(logged_at)}


def leaf_kind(kind: LeafKind | str) -> LeafKind:
    """The kind named by ``kind``; raises InvalidInput for one the log does not know."""
    try:
        return LeafKind(kind)
    except ValueError:
        raise InvalidInput(
            f"未知的日志条目类型 / unknown log leaf kind {kind!r}", [FieldError("kind", "unknown")]
        ) from None
