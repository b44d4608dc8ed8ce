"""A finished run's indicators, recomputed from its stored request and its data file.

The run page draws the rule's overlays and oscillator panels from these
(``GET /api/runs/<id>/indicators``); they are not stored with the result, so results and a
Job's cost stay as they were. The same steps as the run: the file's bars up to the
window's end, the rule's pure indicator functions on all of them (warm-up on the history
before the window), then the window cut out, and for a run longer than RUN_CURVE_POINTS the
points its stored candles kept. Only a file whose SHA-256 equals the run's
``data_hash`` is used, so the lines are those the run traded on.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from kinds.runs.contract import RequestError, RunRequest
from kinds.runs.execute import (
    MarketWindow,
    curve_points,
    load_market_data,
    market_window,
    overlays_in_window,
    panels_in_window,
)

VOLUME_KEY = "volume"
"""The panel key of volume: drawn for every run, by the rule's own panel when it has one."""


CHANGED = "the data file changed since this run"
"""How every ``DataChangedError`` message starts."""


class DataChangedError(Exception):
    """The run's data file is gone or its bytes differ from those the run used."""


def run_overlays(
    request: RunRequest, data_hash: str | None, data_dir: Path | None = None
) -> dict[str, Any]:
    """The rule's overlays on the run's window (``{label: one float per bar}``), the lines
    its candles PNG draws.

    :raise DataChangedError: as ``run_indicators``.
    """
    frame = _window(request, data_hash, data_dir)
    overlays = overlays_in_window(frame, request.rule_type, request.params)
    points = _points(frame)
    if points is None:
        return overlays
    return {label: line[points] for label, line in overlays.items()}


def _points(frame: MarketWindow) -> np.ndarray | None:
    """The bars the run's stored curves kept (``kinds.runs.execute.assemble``): None when
    every bar, else the indicators are given at the same points."""
    from adapters.curves import curve_points as points_of

    return points_of(len(frame.bars), curve_points())


def _window(request: RunRequest, data_hash: str | None, data_dir: Path | None) -> MarketWindow:
    """The run's market window, from its data file when that file is still the run's.

    :raise DataChangedError: as ``run_indicators``.
    """
    try:  # the run was accepted: today's RUN_MAX_BARS does not apply to it
        frame = market_window(load_market_data(request, data_dir, bar_limit=sys.maxsize))
    except RequestError as exc:
        raise DataChangedError(f"{CHANGED}: {exc.message}") from None
    except FileNotFoundError:  # still in the catalog, gone from the disk
        raise DataChangedError(f"{CHANGED}: the file of {request.ticker} is missing") from None
    if frame.data_hash != data_hash:
        raise DataChangedError(f"{CHANGED} (its SHA-256 is not the run's data_hash)")
    return frame


def run_indicators(
    request: RunRequest, data_hash: str | None, data_dir: Path | None = None
) -> dict[str, Any]:
    """``adapters.indicator_view`` of the run's window: its overlays, its panels, then the
    volume panel (bars, in shares) unless the rule draws volume itself.

    :raise DataChangedError: the file cannot be read for the run's window any more, or its
        SHA-256 is not ``data_hash``.
    """
    import adapters
    from rules.spec import Panel

    frame = _window(request, data_hash, data_dir)
    panels = panels_in_window(frame, request.rule_type, request.params)
    if all(panel.key != VOLUME_KEY for panel in panels):
        volume = {"volume": frame.bars.volume}
        panels.append(Panel(VOLUME_KEY, "Volume", "shares", volume, histograms=("volume",)))
    overlays = overlays_in_window(frame, request.rule_type, request.params)
    points = _points(frame)
    if points is None:
        return adapters.indicator_view(frame.bars, overlays, panels)
    from adapters.curves import bars_at

    shown = [
        replace(panel, series={k: np.asarray(v)[points] for k, v in panel.series.items()})
        for panel in panels
    ]
    lines = {label: np.asarray(line)[points] for label, line in overlays.items()}
    return adapters.indicator_view(bars_at(frame.bars, points), lines, shown)
