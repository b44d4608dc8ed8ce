"""The signal analyzer's request and its one execution path (``POST /api/analyze_signals``
and the dashboard's Signals page): a run request's rule, ticker and window, no trading
parameters, analysed synchronously in the web process.

The request is a run request's fields minus the trading ones, plus ``horizons``; it is
checked by the run request's own validation (``parse_request``) and the data catalog
(``load_market_data``), so every 400 names the same field with the same words as a run's.
Signals are computed exactly as a run computes them (``signals_in_window``: on the history
up to the window's end, cut to the window); the analysis itself is the pure
``adapters.signal_analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters.signal_analysis import DEFAULT_HORIZONS, analyze_signals, signal_warnings
from engine import Bars
from kinds.runs.contract import RequestError, RunRequest, parse_request
from kinds.runs.execute import load_market_data, market_window, signals_in_window
from kinds.runs.signal_cost import check_signal_cost
from work.errors import unknown_field

RULE_WINDOW_FIELDS = ("ticker", "rule_type", "params", "rule_id", "start_date", "end_date")
"""The run request's fields the analyzer reads (with ``timeframe``): the rule and the window."""

SIGNAL_FIELDS = (*RULE_WINDOW_FIELDS, "timeframe", "horizons")
"""Every field of an analyzer request; any other (a trading parameter too) is refused."""

MAX_HORIZONS = 10
"""The most horizons one request may name."""

_HORIZONS_MESSAGE = f"must be a list of 1 to {MAX_HORIZONS} whole numbers of bars, each >= 1"


@dataclass(frozen=True)
class SignalRequest:
    """A validated analyzer request: the run request it shares fields with (trading
    fields at their defaults, unused) and the forward-return horizons, ascending."""

    run_request: RunRequest
    horizons: tuple[int, ...] = DEFAULT_HORIZONS

    def to_dict(self) -> dict[str, Any]:
        """The normalised request (what the answer echoes and a link carries)."""
        data = self.run_request.to_dict()
        fields = {name: data[name] for name in (*RULE_WINDOW_FIELDS, "timeframe")}
        return {**fields, "horizons": list(self.horizons)}


@dataclass(frozen=True, eq=False)
class SignalReport:
    """An analysis: its JSON body, and the window bars and signals a chart draws."""

    body: dict[str, Any]
    bars: Bars
    entries: np.ndarray
    exits: np.ndarray


def signal_fields(stored: dict[str, Any]) -> dict[str, Any]:
    """The analyzer fields of a stored run request (``?from=<run_id>``)."""
    return {name: stored[name] for name in SIGNAL_FIELDS if name in stored}


def _horizons(value: object) -> tuple[int, ...]:
    if value is None:
        return DEFAULT_HORIZONS
    valid = (
        isinstance(value, list)
        and 1 <= len(value) <= MAX_HORIZONS
        and all(isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in value)
    )
    if not valid:
        raise RequestError("horizons", _HORIZONS_MESSAGE)
    return tuple(sorted(set(value)))


def parse_signal_request(payload: object) -> SignalRequest:
    """Validate an analyzer request body.

    :raise RequestError: naming the field: an unknown one (trading parameters included),
        then the run request's checks in their order, then ``horizons``.
    """
    if not isinstance(payload, dict):
        raise RequestError("body", "must be a JSON object")
    for name in sorted(payload):
        if name not in SIGNAL_FIELDS:
            field, message = unknown_field(str(name)[:40], "signal analysis")
            raise RequestError(field, message)
    run_fields = {name: value for name, value in payload.items() if name != "horizons"}
    run_request = parse_request(run_fields, strict=True)
    return SignalRequest(run_request, _horizons(payload.get("horizons")))


def analyze(
    request: SignalRequest,
    data_dir: Path | None = None,
    bar_limit: int | None = None,
    cost_limits: tuple[int, int] | None = None,
) -> SignalReport:
    """Load the request's data, compute its signals as a run would, and analyse them.
    ``cost_limits``: (SIGNAL_MAX_WORK, SIGNAL_MAX_VALUES), default this process's.

    :raise RequestError: the data cannot serve it (``ticker``, ``start_date``,
        ``end_date``, as a run), its signals would cost more than the limits (``params``,
        checked before computing them) or a horizon is not shorter than the window
        (``horizons``).
    """
    from rules.warmup import warmup

    run = request.run_request
    market = load_market_data(run, data_dir, bar_limit)
    frame = market_window(market, check_signal_cost(run, market, *(cost_limits or ())))
    n_bars = len(frame.bars)
    longest = request.horizons[-1]
    if longest >= n_bars:
        raise RequestError(
            "horizons",
            f"{longest} bars is not shorter than the window ({n_bars} bars): "
            "a forward return needs a bar that many bars later",
        )
    entries, exits = signals_in_window(frame, run.rule_type, [run.params])
    entries, exits = entries[0], exits[0]
    entry_warmup, exit_warmup = warmup(run.rule_type, run.params)
    blind = max(entry_warmup - frame.window.start, 0)
    analysis = analyze_signals(frame.bars, entries, exits, request.horizons, blind)
    body = {
        "request": request.to_dict(),
        "data_hash": frame.data_hash,
        "warmup": {
            "bars": max(entry_warmup, exit_warmup),
            "entry_bars": entry_warmup,
            "exit_bars": exit_warmup,
        },
        **analysis,
        "warnings": signal_warnings(analysis, entry_warmup),
    }
    return SignalReport(body, frame.bars, entries, exits)


def report_for(
    payload: object,
    data_dir: Path | None = None,
    bar_limit: int | None = None,
    cost_limits: tuple[int, int] | None = None,
) -> SignalReport:
    """``analyze(parse_signal_request(payload))``: a request body in, its analysis out.

    :raise RequestError: naming the field at fault.
    """
    return analyze(parse_signal_request(payload), data_dir, bar_limit, cost_limits)


__all__ = [
    "MAX_HORIZONS",
    "SIGNAL_FIELDS",
    "SignalReport",
    "SignalRequest",
    "analyze",
    "parse_signal_request",
    "report_for",
    "signal_fields",
]
