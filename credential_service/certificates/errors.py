from __future__ import annotations

from credential_service.core.errors import FieldError, InvalidInput, NotFound, ServiceError


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


class PrintingUnavailable(ServiceError):
    """The printable certificate cannot be made on this server (no embeddable CJK font): 503, not tofu."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            message=(
                "暂时无法生成 PDF 证书：服务器缺少可嵌入的中文字体，请联系管理员（电子证书 JSON 仍可下载）"
                " / the PDF certificate cannot be made right now: the server has no embeddable Chinese font"
                " (ask the administrator; the JSON credential can still be downloaded)"
            ),
            code="pdf_font_unavailable",
            status=503,
            errors=errors,
        )
