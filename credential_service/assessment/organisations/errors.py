"""Errors of the organisation registry (备案)."""

from __future__ import annotations

from credential_service.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound


class OrganisationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("没有这个评价机构 / no such evaluation organisation", code="organisation_not_found")


class InvalidRegistration(InvalidInput):
    """Registration fields or scope rows that break the rules; every bad one is named."""

    def __init__(self, problems: list[FieldError]) -> None:
        super().__init__(
            "机构备案信息有误 / the registration is invalid: see each field", problems, "invalid_organisation"
        )


class OrganisationExists(Conflict):
    """The code or the credit code is registered already."""

    def __init__(self, message: str, code: str = "organisation_exists") -> None:
        super().__init__(message, code=code)


class OrganisationExited(Conflict):
    """退出 is final: an organisation that has exited changes no more (register it again instead)."""

    def __init__(self, message: str = "机构已退出 / the organisation has exited") -> None:
        super().__init__(message, code="organisation_exited")


class OrganisationNotActive(Forbidden):
    """The organisation is suspended or has exited, so it may not do what it asked."""

    def __init__(self, message: str = "机构当前不可开展评价 / the organisation is not active") -> None:
        super().__init__(message, "organisation_not_active")


class EndorsementNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "没有这一版备案证明 / no such version of the endorsement", code="endorsement_not_found"
        )
