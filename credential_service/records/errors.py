from __future__ import annotations

from credential_service.core.errors import Conflict, FieldError, InvalidInput


class DuplicatePosting(Conflict):
    def __init__(self, what: str) -> None:
        super().__init__(f"重复提交 / duplicate posting: {what}", code="duplicate_posting")


class InvalidCorrection(InvalidInput):
    def __init__(self, reason: str) -> None:
        super().__init__(
            "更正无效 / invalid correction", [FieldError("supersedes", reason)], "invalid_correction"
        )
