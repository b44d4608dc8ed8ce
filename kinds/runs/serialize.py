"""Byte-stable JSON for results: the same result always serialises to the same bytes."""

from __future__ import annotations

import json
from typing import Any

from kinds.runs.contract import RunResult


def to_json(value: RunResult | dict[str, Any]) -> str:
    """Compact JSON in field order; NaN/inf are refused (results carry None instead)."""
    if isinstance(value, RunResult):
        value = value.to_dict()
    return json.dumps(value, separators=(",", ":"), allow_nan=False)
