"""Who may see and change a row (docs/security.md "Tenancy: who sees what"): the one rule,
for every kind's rows alike (runs, sweeps, walk-forwards, presets: anything with
``created_by`` and ``shared``).

The viewer is the request's API token (``web.auth``: its name and scope). A row belongs to
the token that created it (``created_by``); its owner may share it read-only (``shared``):

============================  ==========  ================================================
viewer                        may read    may manage (edit, share, cancel, delete)
============================  ==========  ================================================
anyone, AUTH_MODE=none        every row   every row
an "admin" token              every row   every row
the owner                     yes         yes
another token, row shared     yes         no: 403 "read-only: shared by <owner>"
another token, not shared     no: 404     no: 404
============================  ==========  ================================================

A row the viewer may not read is answered exactly as a missing id (the caller's own
``not_found``: same status, same body), so ids do not leak. Rows with no ``created_by``
(made in AUTH_MODE=none, or before the column existed) belong to no token: in token mode
only admins see them (and may share them). Lists filter with ``visible`` (own or shared;
nothing filtered for admins and in AUTH_MODE=none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, inspect, or_, select, true
from sqlalchemy.orm import Session

from store.tokens import ADMIN
from web.auth import current_scope, current_user, token_mode
from web.body import json_object
from web.db import get_session
from web.errors import ApiError

READ_ONLY_FIELD = "created_by"
"""The field a refused change to a shared row names: who owns it."""


class Owned(Protocol):
    """What the rule reads of a row (a model instance or a selected row)."""

    created_by: str | None
    shared: bool


T = TypeVar("T", bound=Owned)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the token's ``name`` (None in AUTH_MODE=none) and whether the rule
    filters anything for them (``restricted``: a token that is not an admin's)."""

    name: str | None
    restricted: bool


def viewer() -> Viewer:
    """The viewer of the current request."""
    if not token_mode(current_app):
        return Viewer(None, False)
    return Viewer(current_user(), current_scope() != ADMIN)


def may_read(row: Owned) -> bool:
    """Whether the viewer may read ``row``: unrestricted, the owner, or shared."""
    who = viewer()
    return not who.restricted or bool(row.shared) or _owns(who, row)


def may_manage(row: Owned) -> bool:
    """Whether the viewer may change ``row`` (labels, sharing, cancel, delete): unrestricted
    or the owner."""
    who = viewer()
    return not who.restricted or _owns(who, row)


def _owns(who: Viewer, row: Owned) -> bool:
    return who.name is not None and row.created_by == who.name


def readable(rows: Iterable[T]) -> list[T]:
    """The rows among ``rows`` the viewer may read, in their order (the others are treated
    as missing)."""
    return [row for row in rows if may_read(row)]


def require_manage(row: Owned | None, not_found: Callable[[], ApiError]) -> None:
    """Refuse a change to ``row`` (None: there is no such row) unless the viewer may manage it.

    :raise ApiError: ``not_found()`` when it is missing or not readable (indistinguishable);
        403 naming ``created_by`` when it is shared with the viewer, who may only read it.
    """
    if row is None or not may_read(row):
        raise not_found()
    if not may_manage(row):
        raise ApiError(
            403, f"read-only: shared by {row.created_by or 'an admin'}", field=READ_ONLY_FIELD
        )


def owner_of(session: Session, model: type, key: Any) -> Owned | None:
    """The ``created_by`` and ``shared`` of the row of ``model`` whose primary key is ``key``
    (one narrow SELECT), or None when there is none."""
    (column,) = inspect(model).primary_key
    return session.execute(select(model.created_by, model.shared).where(column == key)).first()


def check_read(session: Session, model: type, key: Any, not_found: Callable[[], ApiError]) -> None:
    """Refuse to read the row of ``model`` keyed ``key`` unless the viewer may (no query for
    an unrestricted viewer: the route's own read finds a missing row).

    :raise ApiError: ``not_found()`` when it is missing or not readable.
    """
    if not viewer().restricted:
        return
    row = owner_of(session, model, key)
    if row is None or not may_read(row):
        raise not_found()


def readable_row(
    session: Session, model: type, key: Any, load: Callable[[Session, Any], T | None]
) -> T | None:
    """The row ``load`` reads for ``key``, or None when there is none or the viewer may not
    read it, which is checked first by ``owner_of`` (its owner columns alone): a row the
    viewer may not read is never loaded, so its request and result cost nothing to refuse
    and answer as fast as a missing id. An unrestricted viewer's row is loaded at once."""
    if viewer().restricted:
        owner = owner_of(session, model, key)
        if owner is None or not may_read(owner):
            return None
    return load(session, key)


@dataclass(frozen=True)
class ItemLookup(Generic[T]):
    """How the routes of a kind find one of its items by the id in their URL: the row of
    ``model`` that ``load`` reads (``readable_row``), for an id matching ``pattern``; ``noun``
    names it in the 404 ("sweep not found")."""

    model: type
    load: Callable[[Session, str], T | None]
    pattern: re.Pattern[str]
    noun: str

    def row(self, session: Session, item_id: str) -> T | None:
        """The item ``item_id`` names, or None: a malformed id (no query), a missing row, or
        one the viewer may not read."""
        if not self.pattern.match(item_id):
            return None
        row = readable_row(session, self.model, item_id, self.load)
        return row if row is not None and may_read(row) else None

    def not_found(self) -> ApiError:
        """The answer to an id naming no item the viewer may read."""
        return ApiError(404, f"{self.noun} not found")

    def one(self, item_id: str) -> T:
        """The item ``item_id`` names, in the request's session.

        :raise ApiError 404: ``not_found()`` where ``row`` is None.
        """
        row = self.row(get_session(), item_id)
        if row is None:
            raise self.not_found()
        return row


def check_manage(
    session: Session, model: type, key: Any, not_found: Callable[[], ApiError]
) -> None:
    """``require_manage`` of the row of ``model`` keyed ``key`` (no query for an
    unrestricted viewer: the route's own change finds a missing row)."""
    if viewer().restricted:
        require_manage(owner_of(session, model, key), not_found)


def readable_keys(session: Session, model: type, keys: Iterable[Any]) -> set[Any]:
    """The primary keys among ``keys`` of the rows of ``model`` the viewer may read: every
    key for an unrestricted viewer (no query), else those of existing rows that are theirs or
    shared (one SELECT; none for no keys)."""
    keys = set(keys)
    if not keys or not viewer().restricted:
        return keys
    (column,) = inspect(model).primary_key
    return set(session.scalars(select(column).where(column.in_(keys), visible(model))))


def viewer_page(
    model: type,
    list_rows: Callable[..., tuple[list[Any], int]],
    summarise: Callable[[list[Any], set[Any]], list[dict[str, Any]]],
    sources: Callable[[list[Any]], Iterable[Any]],
    **query: Any,
) -> tuple[list[dict[str, Any]], int]:
    """One page of ``model``'s rows the viewer may see, as summaries, and how many match:
    ``list_rows(session, visible=…, **query)`` reads the page; ``summarise(rows, readable)``
    names only the keys among ``sources(rows)`` (rows they were copied from) the viewer may
    read."""
    session = get_session()
    rows, total = list_rows(session, visible=visible(model), **query)
    return summarise(rows, readable_keys(session, model, sources(rows))), total


def visible(model: Any) -> ColumnElement[bool]:
    """The WHERE clause of the rows of ``model`` (a mapped class, or a table's columns
    ``.c``) a list shows the viewer: their own and the shared ones; every row for an
    unrestricted viewer."""
    who = viewer()
    if not who.restricted:
        return true()
    return or_(model.created_by == who.name, model.shared.is_(True))


def shared_value(body: dict[str, Any]) -> bool:
    """The ``shared`` flag of a body that sets only it (``{"shared": true}``).

    :raise ApiError 400: an unknown field, or ``shared`` missing or not a boolean.
    """
    unknown = sorted(key for key in body if key != "shared")
    if unknown:
        raise ApiError(400, "unknown field: only shared can be changed", field=unknown[0][:40])
    if not isinstance(body.get("shared"), bool):
        raise ApiError(400, "must be true or false", field="shared")
    return body["shared"]


def set_sharing(
    item_id: str,
    load: Callable[[Session, str], Owned | None],
    store: Callable[[Session, str, bool], object],
    not_found: Callable[[], ApiError],
) -> bool:
    """Share the row ``load`` finds for ``item_id`` read-only, or stop, as the request's body
    ``{"shared": bool}`` says (``store`` writes it), in one transaction, once the viewer may
    manage the row; the value set. The ``PATCH`` of a kind whose only changeable field is
    its sharing.

    :raise ApiError 400: the body (``shared_value``); ``not_found()`` or 403 as
        ``require_manage``.
    """
    value = shared_value(json_object())
    session = get_session()
    with session.begin():
        require_manage(load(session, item_id), not_found)
        store(session, item_id, value)
    return value
