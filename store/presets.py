"""Strategy presets: named form values for the dashboard (parameters only, never logic)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import StrategyPreset, utcnow


class DuplicatePresetError(ValueError):
    """A preset with this name exists already."""


def create_preset(
    session: Session, name: str, payload: dict[str, Any], *, created_by: str | None = None
) -> StrategyPreset:
    """Add a preset in the caller's transaction (flushed at once; ``created_by``: the
    token's name, None without auth); raises DuplicatePresetError when the name is taken."""
    row = StrategyPreset(
        name=name, payload_json=json.dumps(payload), created_by=created_by, created_at=utcnow()
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
    session: Session, preset_id: int, name: str, payload: dict[str, Any]
) -> StrategyPreset | None:
    """Replace a preset's name and payload in the caller's transaction (flushed at once);
    None if there is no such preset; raises DuplicatePresetError when the name is another
    preset's."""
    row = session.get(StrategyPreset, preset_id)
    if row is None:
        return None
    row.name, row.payload_json = name, json.dumps(payload)
    try:
        session.flush()
    except IntegrityError:
        raise DuplicatePresetError(name) from None
    return row


def list_presets(session: Session) -> list[StrategyPreset]:
    """Every preset, by name."""
    return list(session.scalars(select(StrategyPreset).order_by(StrategyPreset.name)).all())


def delete_preset(session: Session, preset_id: int) -> bool:
    """Delete a preset; False if there was none with that id."""
    deleted = session.execute(delete(StrategyPreset).where(StrategyPreset.id == preset_id))
    return deleted.rowcount == 1
