"""One error hierarchy for the whole service, mapped to RFC 9457 problem responses in one place.

Service code raises these; it never raises HTTP exceptions. Every error carries a stable ``code``,
a plain message (Chinese first, English after), and optionally the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field: ``loc`` is the JSON path (e.g. ``credential.validFrom``)."""

    loc: str
    reason: str


@dataclass
class ServiceError(Exception):
    """Base of every error the service raises on purpose."""

    message: str
    code: str = "error"
    status: int = 400
    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class ConfigurationError(ServiceError):
    """The service is misconfigured (missing key, wrong passphrase): a start-up error."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message, code="configuration", status=500)


class InvalidInput(ServiceError):
    """The input breaks a rule; ``errors`` says which field and why."""

    def __init__(
        self, message: str, errors: list[FieldError] | None = None, code: str = "invalid_input"
    ) -> None:
        super().__init__(message=message, code=code, status=422, errors=errors or [])


class NotFound(ServiceError):
    def __init__(self, message: str, code: str = "not_found") -> None:
        super().__init__(message=message, code=code, status=404)


class Conflict(ServiceError):
    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(message=message, code=code, status=409)


class Unauthorized(ServiceError):
    def __init__(
        self, message: str = "需要登录 / authentication required", code: str = "unauthorized"
    ) -> None:
        super().__init__(message=message, code=code, status=401)


class Forbidden(ServiceError):
    def __init__(self, message: str = "无权访问 / not allowed", code: str = "forbidden") -> None:
        super().__init__(message=message, code=code, status=403)


class TooManyRequests(ServiceError):
    def __init__(self, retry_after_seconds: float) -> None:
        self.retry_after = max(1, int(retry_after_seconds + 0.999))
        super().__init__(
            message=f"请求过于频繁，请 {self.retry_after} 秒后再试 / too many requests: retry in "
            f"{self.retry_after} s",
            code="rate_limited",
            status=429,
        )
