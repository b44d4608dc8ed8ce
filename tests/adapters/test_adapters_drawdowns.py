"""adapters.drawdowns: peak → trough → recovery episodes and the five deepest."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from adapters import drawdowns
from adapters.drawdowns import drawdown_episodes, worst_drawdowns
from adapters.metrics import equity_metrics

DAY = np.timedelta64(1, "D")
T0 = np.datetime64("2024-01-01T21:00:00", "s")


def days(n: int) -> np.ndarray:
    return T0 + np.arange(n) * DAY


def test_an_episode_runs_from_its_peak_to_the_first_bar_back_at_the_peak():
    """100, 120, 90, 100, 120, 130: peak bar 1 (120), trough bar 2 (90, −25%), recovery
    bar 4 (back at 120): 3 bars, 3 days."""
    ts = days(6)
    [episode] = drawdown_episodes(ts, np.array([100.0, 120.0, 90.0, 100.0, 120.0, 130.0]))
    assert episode == {
        "peak": ts[1],
        "trough": ts[2],
        "recovery": ts[4],
        "depth_pct": pytest.approx(25.0),
        "length_bars": 3,
        "length_days": 3.0,
    }


def test_an_unrecovered_episode_has_no_recovery_and_runs_to_the_last_bar():
    """100, 80, 90, 70, 75: one episode from bar 0, trough bar 3 (−30%), 4 bars long."""
    ts = days(5)
    [episode] = drawdown_episodes(ts, np.array([100.0, 80.0, 90.0, 70.0, 75.0]))
    assert episode["recovery"] is None
    assert (episode["peak"], episode["trough"]) == (ts[0], ts[3])
    assert episode["depth_pct"] == pytest.approx(30.0)
    assert (episode["length_bars"], episode["length_days"]) == (4, 4.0)


def test_worst_drawdowns_keeps_the_deepest_five_deepest_first_ties_in_time_order():
    """Seven dips of 10, 30, 20, 30, 5, 40, 15 % below 100: the five deepest are 40, 30
    (the earlier), 30, 20, 15."""
    depths = [10, 30, 20, 30, 5, 40, 15]
    equity = [100.0]
    for depth in depths:
        equity += [100.0 - depth, 100.0]
    ts = days(len(equity))
    worst = worst_drawdowns(ts, np.array(equity))
    assert [e["depth_pct"] for e in worst] == pytest.approx([40, 30, 30, 20, 15])
    assert worst[1]["peak"] < worst[2]["peak"]
    assert all(e["length_bars"] == 2 for e in worst)


def test_the_longest_episode_matches_max_drawdown_duration_and_deepest_max_drawdown():
    """On a random walk: the longest episode's days equal max_drawdown_duration_days and
    the deepest depth equals the peak-to-trough maximum computed directly."""
    rng = np.random.default_rng(3)
    equity = 100.0 * np.cumprod(1 + rng.normal(0, 0.02, 500))
    ts = days(500)
    episodes = drawdown_episodes(ts, equity)
    metrics = equity_metrics(ts, equity[None, :], np.array([np.nan]))
    assert max(e["length_days"] for e in episodes) == metrics["max_drawdown_duration_days"][0]
    peak = np.maximum.accumulate(equity)
    assert worst_drawdowns(ts, equity, 1)[0]["depth_pct"] == pytest.approx(
        ((peak - equity) / peak).max() * 100, rel=1e-12
    )


def test_a_curve_never_below_its_peak_has_no_episode():
    """Rising or flat equity: no drawdown at all."""
    assert drawdown_episodes(days(4), np.array([1.0, 1.0, 2.0, 3.0])) == []


def test_the_docstring_examples_hold():
    """The module's >>> examples give what they show."""
    assert doctest.testmod(drawdowns).failed == 0
