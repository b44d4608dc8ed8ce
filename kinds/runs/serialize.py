"""Byte-stable JSON for results: the same result always serialises to the same bytes."""

from __future__ import annotations

import json
from typing import Any

from kinds.runs.contract import RunResult


def to_json(value: RunResult | dict[str, Any]) -> str:
    """Compact JSON in field order; NaN/inf are refused (results carry None instead). A
    result is written from its columns in one pass (``adapters.columnar.object_json``):
    the bytes ``json.dumps`` gives its ``to_dict()``."""
    if isinstance(value, RunResult):
        from adapters.columnar import object_json

        return object_json(value.document())
    return json.dumps(value, separators=(",", ":"), allow_nan=False)
