from __future__ import annotations

from credential_service.core.errors import FieldError, InvalidInput, NotFound


class InvalidIdNumber(InvalidInput):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            "证件号码不正确 / the ID number is invalid", [FieldError(field, reason)], "invalid_id_number"
        )


class PersonNotFound(NotFound):
    def __init__(self) -> None:
        # Never echoes the number that was looked for.
        super().__init__("没有此人的档案 / no file for this person", code="person_not_found")
