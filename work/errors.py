"""The user-safe error of every kind of work: a request field that is missing or invalid.

Raised while validating a request (the web answers 400 with it) and while executing one (the
item ends FAILED with ``"<field>: <message>"``). ``kinds.runs.contract`` re-exports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pydantic import ValidationError


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


def model_error(exc: ValidationError) -> RequestError:
    """The first error of a kind's pydantic request model (``WorkKind.request``) as a
    ``RequestError``: its location joined by dots (``body`` for none), ``is required`` for a
    missing field, pydantic's message otherwise."""
    error = exc.errors(include_url=False, include_context=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or "body"
    message = "is required" if error["type"] == "missing" else error["msg"][:200]
    return RequestError(field, message)
