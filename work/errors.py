"""The user-safe error of every kind of work: a request field that is missing or invalid.

Raised while validating a request (the web answers 400 with it) and while executing one (the
item ends FAILED with ``"<field>: <message>"``). ``kinds.runs.contract`` re-exports it.
"""

from __future__ import annotations


class RequestError(ValueError):
    """A request field is missing or invalid; ``field`` names it, ``message`` is user-safe."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def unknown_field(name: str, kind: str) -> tuple[str, str]:
    """(field, message) for a key of a ``kind`` body ("request", "preset"…) that is no field;
    a blank key names no field, so the body is named instead."""
    if not name.strip():
        return "body", f"has a field with a blank name ({name!r}): not a {kind} field"
    return name, f"is not a {kind} field"
