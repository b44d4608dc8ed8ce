"""What the row of a submitted search (a walk-forward, a study) records about how its
outcome is made: the hash of the data it reads, the engine that computes it, the image that
accepted it, who submitted it and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import ENGINE_VERSION


def provenance(
    data_hash: str, *, image_tag: str | None, created_by: str | None, created_at: datetime
) -> dict[str, Any]:
    """The provenance columns of a search's new row, by name (spread into its model)."""
    return {
        "data_hash": data_hash,
        "engine_version": ENGINE_VERSION,
        "image_tag": image_tag,
        "created_by": created_by,
        "created_at": created_at,
    }
