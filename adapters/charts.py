"""PNG charts of one run (dark theme), rendered in memory: all of them as base64 data URIs
for a Job (``render_charts``), or one as PNG bytes from a stored result's curves
(``render_stored_chart``, for a download drawn on demand).

matplotlib is imported inside the rendering functions only (with the drawing layer
``adapters._plot``), so ``import adapters`` stays cheap and a run without charts never pays
for it; its chart classes are imported without the generated signature and docstring of
their ``set`` (``adapters._lean_artists``: half of the import). The charts are drawn one
by one on one ``Figure`` + ``FigureCanvasAgg`` (never pyplot: no global figure registry),
cleared between charts and released in a ``finally`` block. The PNG bytes are
deterministic: no "Software" metadata, fixed sizes, ticks computed by ``adapters._ticks``.

Speed: a backtest is a one-shot process that must beat a one-shot backtesting.py run, so
charts skip matplotlib's Axes (see ``adapters._plot``) and draw every per-bar series as one
vectorised artist: a line, the candle wicks of one colour as one NaN-separated line, the
candle bodies as one ``PolyCollection``. Bars sit at x = 0, 1, 2, … (no weekend gaps).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from adapters._ticks import date_ticks
from adapters.curves import bars_at, drawdown_pct
from adapters.market import signal_markers
from adapters.timestamps import from_iso_utc
from engine import Bars, EngineResult

if TYPE_CHECKING:  # pragma: no cover
    from adapters._plot import Panel

CHART_KEYS = (
    "drawdown_curve_base64",
    "portfolio_orders_base64",
    "trade_pnl_base64",
    "cumulative_return_base64",
    "candles_base64",
)
"""Keys of the ``charts`` dict returned by ``render_charts``, in order."""

DATA_URI_PREFIX = "data:image/png;base64,"

TEXT = "#c9d1d9"
MUTED = "#8b949e"
BLUE = "#58a6ff"
GREEN = "#3fb950"
RED = "#f85149"
ORANGE = "#d29922"
OVERLAY_COLORS = ("#d29922", "#bc8cff", "#39c5cf", "#f778ba", "#e3b341", "#79c0ff")
"""Line colours of the rule's overlays, in the order the overlays are given."""
CANDLE_WIDTH = 0.6
"""Candle body width in bars."""

Ticks = tuple[Sequence[int], Sequence[str]]


CHART_NAMES = (
    "equity",
    "drawdown_curve",
    "portfolio_orders",
    "trade_pnl",
    "cumulative_return",
    "candles",
)
"""The charts one at a time (``render_stored_chart``): the equity chart (``chart_base64``),
then ``CHART_KEYS`` without their ``_base64``."""


def render_charts(
    bars: Bars,
    result: EngineResult,
    *,
    entries: np.ndarray,
    exits: np.ndarray,
    records: list[dict],
    benchmark: Mapping,
    overlays: Mapping[str, np.ndarray] | None = None,
    points: np.ndarray | None = None,
    applied: list[dict] | None = None,
) -> tuple[str, dict[str, str]]:
    """Render the run's charts as PNG data URIs ("data:image/png;base64,…").

    ``points`` (``adapters.curve_points`` of a long run; ``benchmark`` then holds its equity
    at those points) draws the bars at the points only, each with the signals of the bars
    up to the next point: a few thousand pixels wide cannot show more.

    Returns ``(chart_base64, charts)``: ``chart_base64`` is the equity curve (the legacy
    single chart) and ``charts`` has the keys of ``CHART_KEYS``:

    * ``drawdown_curve_base64``: percent below the running peak of equity;
    * ``portfolio_orders_base64``: the close with ▲ buy and ▼ sell fills;
    * ``trade_pnl_base64``: each trade's ``pnl_pct`` at its exit date, wins green,
      losses red, a still-open trade hollow;
    * ``cumulative_return_base64``: the strategy's and buy-and-hold's cumulative return;
    * ``candles_base64``: candlesticks with ▲ entry / ▼ exit signal markers and the
      rule's ``overlays`` (name → one float per bar on the price scale; NaN = no value).

    ``applied``: the run's ``events_applied`` (its fills drawn where they filled,
    ``adapters.signal_markers``).
    """
    equity = result.equity
    if points is not None:
        bars, equity, entries, exits, overlays = _at_points(
            bars, equity, entries, exits, overlays, points
        )
    pngs = _render(
        CHART_NAMES,
        bars,
        equity,
        entries,
        exits,
        records,
        np.array(benchmark["equity"], dtype=np.float64),
        overlays,
        applied,
    )
    images = {name: _data_uri(png) for name, png in pngs.items()}
    chart_base64 = images.pop("equity")
    return chart_base64, {f"{name}_base64": uri for name, uri in images.items()}


def _at_points(
    bars: Bars,
    equity: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    overlays: Mapping[str, np.ndarray] | None,
    points: np.ndarray,
) -> tuple[Bars, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray] | None]:
    """The bars, equity and overlays at ``points``; a signal on any bar from a point up to
    the next one marks the point."""
    shown = bars_at(bars, points)

    def any_since(signals: np.ndarray) -> np.ndarray:
        return np.logical_or.reduceat(np.asarray(signals, dtype=bool), points)

    lines = None if overlays is None else {k: np.asarray(v)[points] for k, v in overlays.items()}
    return shown, equity[points], any_since(entries), any_since(exits), lines


def render_stored_chart(
    name: str, stored: Mapping, overlays: Mapping[str, np.ndarray] | None = None
) -> bytes:
    """PNG bytes of the chart ``name`` (``CHART_NAMES``) of a stored run result (a
    ``RunResult.to_dict()``, read back from JSON), drawn from its stored curves: the bars
    (``price_candles``), ``equity_curve``, the signals' bars (``signals``), ``trades`` and
    the buy and hold (``benchmark``); the rule's ``overlays`` are not stored, the caller
    recomputes them (or leaves the candles without). The same inputs as the run's own
    ``render_charts``, so the same bytes as the PNG a run with charts stored.

    :raise KeyError: ``name`` is no chart, or the result lacks a curve it needs.
    """
    if name not in CHART_NAMES:
        raise KeyError(name)
    candles = stored["price_candles"]
    bars = Bars(
        from_iso_utc(candles["timestamps"]),
        *(_floats(candles[column]) for column in ("open", "high", "low", "close", "volume")),
    )
    signals = stored.get("signals") or {}
    entries = np.isin(bars.timestamps, from_iso_utc(signals.get("entries") or []))
    exits = np.isin(bars.timestamps, from_iso_utc(signals.get("exits") or []))
    hold = _floats((stored.get("benchmark") or {}).get("equity") or [])
    if hold.size != len(bars):  # a result without its buy and hold: the same, from the bars
        hold = (
            (stored.get("request") or {}).get("initial_capital", 1.0) * bars.close / bars.close[0]
        )
    equity = _floats(stored["equity_curve"]["equity"])
    trades = list(stored.get("trades") or [])
    applied = stored.get("events_applied")
    return _render((name,), bars, equity, entries, exits, trades, hold, overlays, applied)[name]


def _floats(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _render(
    names: Sequence[str],
    bars: Bars,
    equity: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    records: list[dict],
    hold: np.ndarray,
    overlays: Mapping[str, np.ndarray] | None,
    applied: list[dict] | None = None,
) -> dict[str, bytes]:
    """PNG bytes of the charts ``names``, in that order."""
    import matplotlib

    matplotlib.use("Agg")
    from adapters._lean_artists import lean_artists

    lean_artists()  # before the chart classes: half their import
    from adapters import _plot

    n = len(bars)
    entries = np.asarray(entries, dtype=bool)
    exits = np.asarray(exits, dtype=bool)
    overlays = {name: _overlay(name, values, n) for name, values in (overlays or {}).items()}
    ticks = date_ticks(bars.timestamps)
    fills = signal_markers(bars, entries, exits, records, applied)
    buys, sells = _fill_points(bars, fills["buys"]), _fill_points(bars, fills["sells"])

    painters: dict[str, Callable[[Panel], None]] = {
        "equity": lambda p: _equity(p, ticks, equity),
        "drawdown_curve": lambda p: _drawdown(p, ticks, drawdown_pct(equity)),
        "portfolio_orders": lambda p: _orders(p, ticks, bars.close, buys, sells),
        "trade_pnl": lambda p: _trade_pnl(p, ticks, bars, records),
        "cumulative_return": lambda p: _cumulative(p, ticks, equity, hold),
        "candles": lambda p: _candles(p, ticks, bars, entries, exits, overlays),
    }
    panel = _plot.Panel(n)
    try:
        return {name: panel.render(painters[name]) for name in names}
    finally:
        panel.close()
        del panel


def _data_uri(png: bytes) -> str:
    return DATA_URI_PREFIX + base64.b64encode(png).decode("ascii")


def _equity(panel: Panel, ticks: Ticks, equity: np.ndarray) -> None:
    initial = float(equity[0])
    panel.hline(initial, MUTED, dashed=True)
    panel.line(np.arange(equity.size), equity, BLUE, 1.2)
    panel.finish("Equity", _padded(*_span(equity, initial)), ticks)


def _drawdown(panel: Panel, ticks: Ticks, drawdown: np.ndarray) -> None:
    x = np.arange(drawdown.size)
    panel.area(x, drawdown, RED, alpha=0.3)
    panel.line(x, drawdown, RED, 1.0)
    title = f"Drawdown (%)   max {float(drawdown.min()):.2f}%"
    panel.finish(title, _padded(*_span(drawdown, 0.0)), ticks, suffix="%")


def _orders(
    panel: Panel,
    ticks: Ticks,
    close: np.ndarray,
    buys: tuple[np.ndarray, np.ndarray],
    sells: tuple[np.ndarray, np.ndarray],
) -> None:
    panel.line(np.arange(close.size), close, TEXT, 0.9, alpha=0.85, label="Close")
    panel.markers(*buys, "^", GREEN, 6.0, label="Buy")
    panel.markers(*sells, "v", RED, 6.0, label="Sell")
    panel.finish("Close with orders", _padded(*_span(close, buys[1], sells[1])), ticks)


def _trade_pnl(panel: Panel, ticks: Ticks, bars: Bars, records: list[dict]) -> None:
    x, pnl = _fill_points(bars, records, "exit_timestamp", "pnl_pct")
    is_open = np.array([record["is_open"] for record in records], dtype=bool)
    win = np.array([(record["pnl_abs"] or 0.0) > 0 for record in records], dtype=bool)
    panel.hline(0.0, MUTED)
    panel.markers(x[win & ~is_open], pnl[win & ~is_open], "o", GREEN, 4.5, label="Win")
    panel.markers(x[~win & ~is_open], pnl[~win & ~is_open], "o", RED, 4.5, label="Loss")
    if is_open.any():
        panel.markers(x[is_open], pnl[is_open], "o", MUTED, 4.5, label="Open", hollow=True)
    if not records:
        panel.note("No trades")
    panel.finish("Trade PnL (%) by exit date", _padded(*_span(pnl, 0.0)), ticks, suffix="%")


def _cumulative(panel: Panel, ticks: Ticks, equity: np.ndarray, hold: np.ndarray) -> None:
    x = np.arange(equity.size)
    strategy = (equity / equity[0] - 1.0) * 100.0
    buy_hold = (hold / hold[0] - 1.0) * 100.0
    panel.hline(0.0, MUTED)
    panel.line(x, buy_hold, ORANGE, 1.0, label="Buy & hold")
    panel.line(x, strategy, BLUE, 1.2, label="Strategy")
    ylim = _padded(*_span(strategy, buy_hold, 0.0))
    panel.finish("Cumulative return (%)", ylim, ticks, suffix="%")


def _candles(
    panel: Panel,
    ticks: Ticks,
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    overlays: dict[str, np.ndarray],
) -> None:
    x = np.arange(len(bars), dtype=np.float64)
    up = bars.close >= bars.open
    for rising, color in ((up, GREEN), (~up, RED)):
        panel.strokes(x[rising], bars.low[rising], bars.high[rising], color, 0.6)
    colors = np.where(up[:, None], _rgba(GREEN), _rgba(RED))
    left, right = x - CANDLE_WIDTH / 2, x + CANDLE_WIDTH / 2
    corners = [(left, bars.open), (left, bars.close), (right, bars.close), (right, bars.open)]
    panel.polygons(np.stack([np.column_stack(c) for c in corners], axis=1), colors)

    lo, hi = _span(bars.low, bars.high, *overlays.values())
    gap = (hi - lo) * 0.04 if hi > lo else 1.0
    for i, (name, values) in enumerate(overlays.items()):
        panel.line(x, values, OVERLAY_COLORS[i % len(OVERLAY_COLORS)], 1.0, label=name)
    panel.markers(x[entries], bars.low[entries] - gap, "^", BLUE, label="Entry signal")
    panel.markers(x[exits], bars.high[exits] + gap, "v", ORANGE, label="Exit signal")
    panel.finish("Price", (lo - gap * 1.5, hi + gap * 1.5), ticks)


def _fill_points(
    bars: Bars, points: list[dict], when: str = "timestamp", value: str = "price"
) -> tuple[np.ndarray, np.ndarray]:
    """Bar indices and values of records stamped with ISO timestamps of these bars."""
    stamps = np.array([point[when][:19] for point in points], dtype="datetime64[s]")
    x = np.searchsorted(bars.timestamps, stamps)
    y = np.array([point[value] for point in points], dtype=np.float64)
    return x, y


def _overlay(name: str, values: np.ndarray, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"overlay {name!r} has shape {arr.shape}; expected ({n},), one per bar")
    return arr


def _span(*values: np.ndarray | float) -> tuple[float, float]:
    """Finite minimum and maximum over arrays and scalars (0, 1 when there is none)."""
    parts = [np.ravel(np.asarray(v, dtype=np.float64)) for v in values]
    flat = np.concatenate(parts) if parts else np.empty(0)
    flat = flat[np.isfinite(flat)]
    if not flat.size:
        return 0.0, 1.0
    return float(flat.min()), float(flat.max())


def _padded(lo: float, hi: float) -> tuple[float, float]:
    """Axis limits around [lo, hi] with 5% margins; a flat range gets ±1% (at least ±1)."""
    margin = (hi - lo) * 0.05 if hi > lo else max(abs(hi) * 0.01, 1.0)
    return lo - margin, hi + margin


def _rgba(color: str) -> tuple[float, float, float, float]:
    """ "#rrggbb" as an RGBA tuple of floats in [0, 1]."""
    return (*(int(color[i : i + 2], 16) / 255.0 for i in (1, 3, 5)), 1.0)
