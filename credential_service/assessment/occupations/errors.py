"""Errors of the occupation catalogue."""

from __future__ import annotations

from credential_service.core.errors import FieldError, InvalidInput


class InvalidOccupationFile(InvalidInput):
    """A catalogue file that cannot be imported; every bad entry is named and nothing is imported."""

    def __init__(self, message: str, errors: list[FieldError]) -> None:
        super().__init__(message, errors, "invalid_occupation_file")
