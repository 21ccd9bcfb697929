"""Errors of organisations' OAuth clients, their own keys and content signatures."""

from __future__ import annotations

from credential_service.core.errors import FieldError, NotFound, ServiceError
from credential_service.identity.clients.rules import CONTENT_SIGNATURE_HEADER


class ClientNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "该机构没有这个客户端 / the organisation has no such client", code="client_not_found"
        )


class ClientKeyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("该机构没有这个公钥 / the organisation has no such key", code="client_key_not_found")


class OAuthError(ServiceError):
    """A token-endpoint error, answered as RFC 6749 §5.2 JSON (not as a problem document).

    ``error_description`` must stay ASCII (RFC 6749 §5.2), so the Chinese text is in ``message``.
    """

    def __init__(
        self, error: str, zh: str, en: str, *, status: int = 400, basic_challenge: bool = False
    ) -> None:
        super().__init__(message=f"{zh} / {en}", code=error, status=status)
        self.error = error
        self.description = en
        self.basic_challenge = basic_challenge

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description, "message": self.message}


def bad_client(zh: str, en: str, *, basic: bool) -> OAuthError:
    """``invalid_client``: RFC 6749 §5.2 asks for 401 with a challenge when the client tried the
    Authorization header, 400 otherwise."""
    return OAuthError("invalid_client", zh, en, status=401 if basic else 400, basic_challenge=basic)


class ContentSignatureRejected(ServiceError):
    """400: the sheet's content signature is malformed, names no usable key, or does not verify.

    Nothing is recorded. ``code`` tells programs which: content_signature_malformed,
    content_signature_unknown_key, content_signature_revoked_key, content_signature_mismatch.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(
            message="内容签名无效，未作任何记录 / the content signature is invalid: nothing was recorded",
            code=code,
            status=400,
            errors=[FieldError(CONTENT_SIGNATURE_HEADER, reason)],
        )
