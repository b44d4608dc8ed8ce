"""adapters.capacity: the half-Sharpe capital's rule on hand-computed cases, the table of
engine results (its metrics the run's own), the unfilled share of partly filled orders and
the chart's marks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adapters.capacity import (
    COLUMNS,
    capacity_svg,
    capacity_table,
    capital_label,
    half_sharpe_capital,
    unfilled_pct,
)
from adapters.metrics import curve_metrics
from engine import Bars, TradingParams, run
from engine.capacity import at_capital, run_capacity


def test_the_half_sharpe_capital_is_interpolated_in_log_capital() -> None:
    """1.0 → 0.8 → 0.2: half (0.5) is halfway from 0.8 to 0.2, so halfway between 100 k
    and 1 M in log terms: sqrt(1e5 × 1e6)."""
    found = half_sharpe_capital([1e4, 1e5, 1e6], [1.0, 0.8, 0.2])
    assert found == pytest.approx(math.sqrt(1e5 * 1e6))


def test_the_first_point_below_half_marks_it_even_if_a_later_one_recovers() -> None:
    """0.6 → 0.4 crosses 0.5 halfway (the later 0.9 does not move it)."""
    found = half_sharpe_capital([1e4, 1e5, 1e6, 1e7], [1.0, 0.6, 0.4, 0.9])
    assert found == pytest.approx(math.sqrt(1e5 * 1e6))


@pytest.mark.parametrize(
    "sharpes",
    [[1.0, 0.9, 0.6], [0.0, -1.0, -2.0], [-0.5, -1.0, -3.0], [None, 1.0, 0.1], [1.0, 0.5, 0.5]],
)
def test_no_half_sharpe_capital_without_a_positive_reference_or_a_fall_below_half(
    sharpes: list,
) -> None:
    assert half_sharpe_capital([1e4, 1e5, 1e6], sharpes) is None


def test_an_undefined_sharpe_counts_as_zero() -> None:
    """A run that never trades at a large capital has no Sharpe ratio: below half."""
    assert half_sharpe_capital([1e4, 1e6], [1.0, None]) == pytest.approx(1e5)


def test_the_unfilled_share_is_one_less_filled_over_ordered() -> None:
    assert unfilled_pct(np.array([150.0, 90.0])) == pytest.approx(40.0)
    assert unfilled_pct(None) == 0.0  # no liquidity field: every order fills whole
    assert unfilled_pct((0.0, 0.0)) == 0.0  # no entry sized
    assert unfilled_pct((10.0, 10.0)) == 0.0


def test_a_liquid_market_entry_run_has_its_unfilled_share() -> None:
    """Market entries with a volume limit: the share is defined at every capital, 0 where
    the volume takes every order, above 0 where it does not."""
    bars = _bars()
    entries, exits = np.zeros(len(bars), bool), np.zeros(len(bars), bool)
    entries[3::40], exits[30::40] = True, True
    params = TradingParams(volume_limit=0.01)
    runs = run_capacity(bars, entries, exits, params, [1e4, 1e8])
    small, large = capacity_table(runs, bars.timestamps, 252.0)["points"]["unfilled_pct"]
    assert small == 0.0 and 0.0 < large < 100.0


def _bars(n: int = 200) -> Bars:
    close = 50.0 * np.exp(np.cumsum(np.random.default_rng(7).normal(0.0005, 0.02, n)))
    days = np.datetime64("2020-01-01") + np.arange(n)
    return Bars(days, close, close * 1.01, close * 0.99, close, np.full(n, 1e5))


def test_the_table_holds_each_capitals_metrics_as_a_run_computes_them() -> None:
    """Sharpe, return and trades are the engine's, the CAGR the run's own adapter's."""
    bars = _bars()
    entries, exits = np.zeros(len(bars), bool), np.zeros(len(bars), bool)
    entries[3::40], exits[30::40] = True, True
    capitals = [1e4, 1e6, 1e8]
    runs = run_capacity(bars, entries, exits, TradingParams(), capitals)
    table = capacity_table(runs, bars.timestamps, 252.0)
    points = table["points"]
    assert tuple(points) == COLUMNS and points["capital"] == capitals
    for i, capital in enumerate(capitals):
        result = run(bars, entries, exits, at_capital(TradingParams(), capital))
        trades = result.metrics["num_trades"]
        own = curve_metrics(bars.timestamps, result.equity, capital, trades, 252.0)
        assert points["sharpe_ratio"][i] == result.metrics["sharpe_ratio"] == own["sharpe_ratio"]
        assert points["cagr_pct"][i] == own["cagr_pct"]
        assert points["total_return_pct"][i] == result.metrics["total_return_pct"]
        assert points["num_trades"][i] == trades > 0
        assert points["unfilled_pct"][i] == 0.0
    assert table["reference_sharpe"] == points["sharpe_ratio"][0]


def test_the_chart_marks_the_half_sharpe_capital_and_labels_the_capitals() -> None:
    document = {
        "points": {
            "capital": [1e4, 1e5, 1e6],
            "sharpe_ratio": [1.0, 0.8, 0.2],
            "unfilled_pct": [0.0, 10.0, 80.0],
        },
        "reference_sharpe": 1.0,
        "half_sharpe_capital": math.sqrt(1e11),
    }
    svg = capacity_svg(document)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'data-mark="half-sharpe"' in svg and "Sharpe halves at 316k" in svg
    assert all(f">{label}<" in svg for label in ("10k", "100k", "1M"))
    unmarked = capacity_svg({**document, "half_sharpe_capital": None})
    assert "half-sharpe" not in unmarked
    assert [capital_label(c) for c in (5.0, 28_480.0, 1.87e6, 1e9)] == ["5", "28.5k", "1.87M", "1B"]
