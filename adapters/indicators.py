"""A rule's indicators on a run's window as JSON: the price-scale overlays and the
oscillator panels the run page draws under its candles (``GET /api/runs/<id>/indicators``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from adapters._plain import float_list, number
from adapters.timestamps import iso_utc
from engine import Bars


class PanelLike(Protocol):
    """What a panel offers (``rules.spec.Panel``; the adapters do not import the rules)."""

    key: str
    name: str
    unit: str
    series: Mapping[str, np.ndarray]
    levels: Sequence[float]
    bounds: tuple[float, float] | None

    def kind(self, label: str) -> str: ...


def panel_json(panel: PanelLike) -> dict[str, Any]:
    """One panel: ``{"key", "name", "unit", "series": {label: [value | null]}, "kind":
    {label: "line" | "histogram"}, "levels": [..], "bounds": [min, max] | null}``."""
    return {
        "key": panel.key,
        "name": panel.name,
        "unit": panel.unit,
        "series": {label: float_list(values) for label, values in panel.series.items()},
        "kind": {label: panel.kind(label) for label in panel.series},
        "levels": [number(level) for level in panel.levels],
        "bounds": None if panel.bounds is None else [number(v) for v in panel.bounds],
    }


def indicator_view(
    bars: Bars, overlays: Mapping[str, np.ndarray], panels: Sequence[PanelLike]
) -> dict[str, Any]:
    """The window's ``timestamps`` (as ``price_candles``), ``overlays`` ({label: [value |
    null]}, price scale) and ``panels`` (``panel_json`` each, in drawing order); every
    array has one value per bar of ``bars`` (null in an indicator's warm-up)."""
    return {
        "timestamps": iso_utc(bars.timestamps),
        "overlays": {label: float_list(line) for label, line in overlays.items()},
        "panels": [panel_json(panel) for panel in panels],
    }
