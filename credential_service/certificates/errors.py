from __future__ import annotations

from credential_service.core.errors import FieldError, InvalidInput, NotFound


class CredentialRejected(InvalidInput):
    """The credential breaks VC 2.0 / OB 3.0 or uses terms the contexts do not define."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "凭证不符合 VC 2.0 数据模型 / the credential does not conform to VC 2.0",
            errors=errors,
            code="credential_rejected",
        )


class StatusListNotFound(NotFound):
    def __init__(self, list_id: str) -> None:
        super().__init__(f"没有这个状态列表 / no status list {list_id}", code="status_list_not_found")
