"""The capacity table of a run and its chart: per starting capital, the Sharpe ratio, CAGR,
total return, trades and the share of ordered shares left unfilled, with the capital where
the Sharpe ratio falls to half of the smallest capital's (``engine.capacity`` simulates the
runs). Pure: engine results in, a JSON-ready document or SVG text out (docs/capacity.md).

The half-Sharpe capital: the reference is the Sharpe ratio at the smallest capital; when it
is positive, the first capital whose Sharpe ratio is below half of it (an undefined Sharpe
ratio, a run that never trades, counts as 0) marks the crossing, and the capital is
interpolated linearly in log(capital) between that point and the one before it. None when
the reference is not positive or no capital falls below half of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from adapters._plain import number
from adapters.metrics import equity_metrics
from engine import TRADING_DAYS

if TYPE_CHECKING:  # pragma: no cover
    from engine.capacity import CapacityRuns

COLUMNS = (
    "capital",
    "sharpe_ratio",
    "cagr_pct",
    "total_return_pct",
    "num_trades",
    "unfilled_pct",
)
"""The table's columns, in order (``capacity_table``'s ``points``)."""


def unfilled_pct(entered: Sequence[float] | None) -> float:
    """The share of the shares a run's entries were sized for that never filled, in
    percent: 1 − filled ÷ ordered of ``entered`` (the engine's count of both over every
    entry, a market one's too, filled over one bar or several: ``CapacityRuns.entered``,
    docs/execution.md, "Liquidity"); 0 without a liquidity field (``entered`` None: every
    order fills whole) or when no entry was sized."""
    if entered is None:
        return 0.0
    ordered, filled = (float(value) for value in entered)
    if ordered <= 0:
        return 0.0
    return max(0.0, (1.0 - filled / ordered) * 100.0)


def half_sharpe_capital(capitals: Sequence[float], sharpes: Sequence[float | None]) -> float | None:
    """The capital where the Sharpe ratio falls to half of the first (smallest) capital's,
    interpolated in log(capital) (the module's rule); None when it does not."""
    if not capitals or sharpes[0] is None or not math.isfinite(sharpes[0]) or sharpes[0] <= 0:
        return None
    half = sharpes[0] / 2.0
    values = [0.0 if s is None or not math.isfinite(s) else float(s) for s in sharpes]
    for i in range(1, len(values)):
        if values[i] < half:
            before, after = values[i - 1], values[i]
            share = (before - half) / (before - after)
            low, high = math.log(capitals[i - 1]), math.log(capitals[i])
            return float(math.exp(low + share * (high - low)))
    return None


def capacity_table(
    runs: CapacityRuns, timestamps: np.ndarray, bars_per_year: float = TRADING_DAYS
) -> dict[str, Any]:
    """The capacity document of ``runs`` (``engine.capacity.run_capacity``) over bars
    stamped ``timestamps``: ``points`` (columns ``COLUMNS``, one value per capital: the
    engine's Sharpe ratio, total return and trades, the CAGR of ``adapters.metrics``, as a
    run's own), ``reference_sharpe`` (the smallest capital's) and ``half_sharpe_capital``
    (the module's rule)."""
    metrics = runs.metrics
    more = equity_metrics(timestamps, runs.equity, metrics["max_drawdown_pct"], None, bars_per_year)
    entered = [None] * len(runs.capitals) if runs.entered is None else runs.entered
    return capacity_document(
        runs.capitals,
        metrics["sharpe_ratio"],
        more["cagr_pct"],
        metrics["total_return_pct"],
        metrics["num_trades"],
        [unfilled_pct(row) for row in entered],
    )


def capacity_document(
    capitals: Sequence[float],
    sharpe_ratio: Sequence[float | None],
    cagr_pct: Sequence[float | None],
    total_return_pct: Sequence[float | None],
    num_trades: Sequence[float],
    unfilled: Sequence[float | None],
) -> dict[str, Any]:
    """The capacity document of one value per capital of each column (``COLUMNS``, in
    capital order; NaN or None where undefined): ``points`` as JSON-ready lists,
    ``reference_sharpe`` (the smallest capital's) and ``half_sharpe_capital`` (the
    module's rule). What a run's (``capacity_table``) and a portfolio's curve both answer."""
    sharpes = [number(v) for v in sharpe_ratio]
    points = {
        "capital": [float(c) for c in capitals],
        "sharpe_ratio": sharpes,
        "cagr_pct": [number(v) for v in cagr_pct],
        "total_return_pct": [number(v) for v in total_return_pct],
        "num_trades": [int(v) for v in num_trades],
        "unfilled_pct": [number(v) for v in unfilled],
    }
    return {
        "points": points,
        "reference_sharpe": sharpes[0] if sharpes else None,
        "half_sharpe_capital": number(half_sharpe_capital(points["capital"], sharpes)),
    }


def capital_label(capital: float) -> str:
    """A capital in a few characters: 10k, 28.5k, 1.2M, 1B."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if capital >= size:
            return f"{capital / size:.3g}{suffix}"
    return f"{capital:.3g}"


WIDTH, HEIGHT, _LEFT, _RIGHT, _TOP, _BOTTOM = 900, 260, 56, 56, 24, 40
SHARPE_COLOUR, UNFILLED_COLOUR, MARK_COLOUR = "#58a6ff", "#f0883e", "#f85149"


def capacity_svg(document: dict[str, Any]) -> str:
    """An SVG of a capacity document: the Sharpe ratio against capital (log scale, left
    axis), the unfilled share (right axis, 0-100 %), half the smallest capital's Sharpe
    ratio as a dashed line and the half-Sharpe capital as a marked vertical line."""
    points = document["points"]
    capitals = np.array(points["capital"], dtype=float)
    sharpe = np.array([np.nan if v is None else v for v in points["sharpe_ratio"]], dtype=float)
    unfilled = np.array([np.nan if v is None else v for v in points["unfilled_pct"]], dtype=float)
    logs = np.log10(capitals)
    span = (logs[-1] - logs[0]) or 1.0
    finite = sharpe[np.isfinite(sharpe)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = max(0.0, float(finite.max())) if finite.size else 1.0
    hi = hi if hi > lo else lo + 1.0

    def x(log_capital: float) -> float:
        return _LEFT + (log_capital - logs[0]) / span * (WIDTH - _LEFT - _RIGHT)

    def y(value: float, low: float = lo, high: float = hi) -> float:
        return HEIGHT - _BOTTOM - (value - low) / (high - low) * (HEIGHT - _TOP - _BOTTOM)

    def path(values: np.ndarray, low: float, high: float) -> str:
        parts, pen = [], "M"
        for lc, v in zip(logs.tolist(), values.tolist(), strict=True):
            if not math.isfinite(v):
                pen = "M"
                continue
            parts.append(f"{pen}{x(lc):.1f},{y(v, low, high):.1f}")
            pen = "L"
        return " ".join(parts)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'role="img" aria-label="Sharpe ratio and unfilled share against starting capital" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#0d1117"/>',
        f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" '
        'stroke="#30363d"/>',
    ]
    for lc, capital in zip(logs.tolist(), capitals.tolist(), strict=True):
        out.append(
            f'<text x="{x(lc):.1f}" y="{HEIGHT - _BOTTOM + 16}" fill="#8b949e" '
            f'text-anchor="middle">{escape(capital_label(capital))}</text>'
        )
    for value in (lo, hi):
        out.append(
            f'<text x="{_LEFT - 6}" y="{y(value):.1f}" fill="{SHARPE_COLOUR}" '
            f'text-anchor="end" dominant-baseline="middle">{value:.2f}</text>'
        )
    for value in (0.0, 100.0):
        out.append(
            f'<text x="{WIDTH - _RIGHT + 6}" y="{y(value, 0.0, 100.0):.1f}" '
            f'fill="{UNFILLED_COLOUR}" dominant-baseline="middle">{value:.0f}%</text>'
        )
    reference = document.get("reference_sharpe")
    if reference is not None and reference > 0:
        level = y(reference / 2.0)
        out.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{level:.1f}" y2="{level:.1f}" '
            f'stroke="{SHARPE_COLOUR}" stroke-dasharray="4 4" opacity="0.6"/>'
        )
    out.append(
        f'<path d="{path(unfilled, 0.0, 100.0)}" fill="none" stroke="{UNFILLED_COLOUR}" '
        'stroke-width="1.5"/>'
    )
    out.append(
        f'<path d="{path(sharpe, lo, hi)}" fill="none" stroke="{SHARPE_COLOUR}" stroke-width="2"/>'
    )
    for lc, v in zip(logs.tolist(), sharpe.tolist(), strict=True):
        if math.isfinite(v):
            out.append(f'<circle cx="{x(lc):.1f}" cy="{y(v):.1f}" r="3" fill="{SHARPE_COLOUR}"/>')
    marked = document.get("half_sharpe_capital")
    if marked is not None:
        at = x(math.log10(marked))
        out.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{_TOP}" y2="{HEIGHT - _BOTTOM}" '
            f'stroke="{MARK_COLOUR}" stroke-width="1.5" stroke-dasharray="6 3" '
            'data-mark="half-sharpe"/>'
        )
        anchor = "end" if at > WIDTH / 2 else "start"
        shift = -4 if anchor == "end" else 4
        out.append(
            f'<text x="{at + shift:.1f}" y="{_TOP + 10}" fill="{MARK_COLOUR}" '
            f'text-anchor="{anchor}">Sharpe halves at {escape(capital_label(marked))}</text>'
        )
    out.append(
        f'<text x="{_LEFT}" y="14" fill="{SHARPE_COLOUR}">Sharpe ratio</text>'
        f'<text x="{WIDTH - _RIGHT}" y="14" fill="{UNFILLED_COLOUR}" text-anchor="end">'
        "unfilled share of ordered shares</text>"
    )
    out.append("</svg>")
    return "".join(out)
