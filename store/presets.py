"""Strategy presets: named form values for the dashboard (parameters only, never logic), of
one kind of work each (``kind``: a run's form, a portfolio request). A name is unique among
its owner's presets of every kind (``StrategyPreset.owner_key``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, delete, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import StrategyPreset, utcnow


class DuplicatePresetError(ValueError):
    """The owner has a preset with this name already."""


def create_preset(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    created_by: str | None = None,
    shared: bool = False,
    kind: str = "run",
) -> StrategyPreset:
    """Add a preset of ``kind`` in the caller's transaction (flushed at once;
    ``created_by``: the token's name, None without auth; ``shared``: read-only for
    everyone); raises DuplicatePresetError when the owner has a preset of that name."""
    row = StrategyPreset(
        kind=kind,
        name=name,
        payload_json=json.dumps(payload),
        created_by=created_by,
        owner_key=created_by or "",
        shared=shared,
        created_at=utcnow(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise DuplicatePresetError(name) from None
    return row


def get_preset(session: Session, preset_id: int) -> StrategyPreset | None:
    """The preset, or None."""
    return session.get(StrategyPreset, preset_id)


def update_preset(
    session: Session,
    preset_id: int,
    name: str,
    payload: dict[str, Any],
    *,
    shared: bool | None = None,
    kind: str | None = None,
) -> StrategyPreset | None:
    """Replace a preset's name and payload (and ``shared``, ``kind`` unless None) in the
    caller's transaction (flushed at once); None if there is no such preset; raises
    DuplicatePresetError when the name is another preset's of the same owner."""
    row = session.get(StrategyPreset, preset_id)
    if row is None:
        return None
    row.name, row.payload_json = name, json.dumps(payload)
    if shared is not None:
        row.shared = shared
    if kind is not None:
        row.kind = kind
    try:
        session.flush()
    except IntegrityError:
        raise DuplicatePresetError(name) from None
    return row


def list_presets(
    session: Session, visible: ColumnElement[bool] | None = None, kind: str | None = None
) -> list[StrategyPreset]:
    """Every preset (``visible``: those the viewer may see, ``web.ownership``; ``kind``:
    of that kind only), by name."""
    statement = select(StrategyPreset).where(true() if visible is None else visible)
    if kind is not None:
        statement = statement.where(StrategyPreset.kind == kind)
    return list(session.scalars(statement.order_by(StrategyPreset.name, StrategyPreset.id)).all())


def delete_preset(session: Session, preset_id: int) -> bool:
    """Delete a preset; False if there was none with that id."""
    deleted = session.execute(delete(StrategyPreset).where(StrategyPreset.id == preset_id))
    return deleted.rowcount == 1
