from __future__ import annotations

from credential_service.core.errors import Conflict, InvalidInput, NotFound


class IssuerNotFound(NotFound):
    def __init__(self, what: str) -> None:
        super().__init__(f"没有这个签发机构 / no issuer {what} is served here", code="issuer_not_found")


class NoUsableKey(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"签发机构 {code} 没有可用的签名密钥 / issuer {code} has no usable key; rotate to add one",
            code="no_usable_key",
        )


class IssuerExists(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__(f"签发机构代码 {code} 已存在 / issuer code {code} exists", code="issuer_exists")


class KeyNotFound(InvalidInput):
    def __init__(self, issuer_code: str, fragment: str) -> None:
        super().__init__(f"签发机构 {issuer_code} 没有密钥 {fragment} / no such key", code="key_not_found")
