from __future__ import annotations

from credential_service.core.errors import FieldError, InvalidInput


class InvalidCorrection(InvalidInput):
    def __init__(self, reason: str) -> None:
        super().__init__(
            "更正无效 / invalid correction", [FieldError("supersedes", reason)], "invalid_correction"
        )
