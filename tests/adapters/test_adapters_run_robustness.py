"""adapters.run_robustness: a run's PSR from its equity curve (checked against the formula
computed here independently), its trade returns as fractions of equity (compounding to the
run's total return) and the Monte Carlo of a stored result (seeded, with each method's
reason when it cannot run)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from adapters.cells import csv_cell
from adapters.run_robustness import (
    MONTE_CARLO_FIELDS,
    monte_carlo,
    monte_carlo_csv,
    sharpe_probability,
    trade_returns,
)


def equity_path(n: int = 400, seed: int = 5) -> np.ndarray:
    """An equity curve from 100,000 with skewed daily returns (a few large gains)."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0004, 0.01, n) + rng.exponential(0.05, n) * (rng.random(n) < 0.03)
    return 100_000 * np.cumprod(np.concatenate(([1.0], 1.0 + returns)))


def test_psr_is_the_papers_formula_on_the_engines_bar_returns():
    """Sharpe per bar (ddof 1), population skewness and non-excess kurtosis of the bar
    returns equity[t] / equity[t-1] - 1, then
    Phi(SR sqrt(n-1) / sqrt(1 - g3 SR + (g4-1)/4 SR^2))."""
    equity = equity_path()
    r = equity[1:] / equity[:-1] - 1.0
    n, mean = r.size, r.mean()
    sharpe = mean / r.std(ddof=1)
    m2 = ((r - mean) ** 2).mean()
    skew = ((r - mean) ** 3).mean() / m2**1.5
    kurt = ((r - mean) ** 4).mean() / m2**2
    z = sharpe * math.sqrt(n - 1) / math.sqrt(1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2)
    out = sharpe_probability(equity.tolist())
    assert out["psr"] == pytest.approx(NormalDist().cdf(z), rel=1e-12)
    assert out["sharpe_per_bar"] == pytest.approx(sharpe, rel=1e-12)
    assert (out["skewness"], out["kurtosis"]) == pytest.approx((skew, kurt), rel=1e-10)
    assert out["skewness"] > 0 and out["kurtosis"] > 3
    assert (out["n_returns"], out["benchmark_sharpe"]) == (400, 0.0)


def test_psr_is_undefined_without_two_returns_or_without_variance():
    """A flat curve or a curve of two bars has no Sharpe ratio: every figure None."""
    for equity in ([100.0] * 50, [100.0, 101.0]):
        out = sharpe_probability(equity)
        assert out["psr"] is out["sharpe_per_bar"] is out["kurtosis"] is None


def test_trade_returns_are_pnl_over_the_equity_before_and_compound_to_the_total():
    """C = 1,000 and PnL 100, -50, 30: 100/1000, -50/1100, 30/1050, whose product is 1080/1000."""
    trades = [{"pnl_abs": 100.0}, {"pnl_abs": -50.0}, {"pnl_abs": 30.0}]
    r = trade_returns(trades, 1000.0)
    assert r.tolist() == pytest.approx([0.1, -50 / 1100, 30 / 1050], rel=1e-15)
    assert np.prod(1.0 + r) == pytest.approx(1.08, rel=1e-14)


@pytest.mark.parametrize(
    "trades",
    [[{"pnl_abs": 10.0}, {"pnl_abs": None}], [{"pnl_abs": -1000.0}, {"pnl_abs": 5.0}]],
)
def test_trade_returns_refuse_a_missing_pnl_or_no_equity_left(trades):
    """A trade without a PnL, or one after the equity is gone, has no return."""
    with pytest.raises(ValueError):
        trade_returns(trades, 1000.0)


def stored(equity: np.ndarray, pnl: list[float]) -> dict:
    """A stored result's fields the Monte Carlo reads."""
    return {
        "equity_curve": {"equity": equity.tolist()},
        "trades": [{"pnl_abs": p} for p in pnl],
        "request": {"initial_capital": 100_000.0},
        "metrics": {"total_return_pct": 12.5, "max_drawdown_pct": 4.0},
    }


def test_monte_carlo_is_seeded_and_a_permutation_keeps_the_runs_total_return():
    """Same seed, equal answers; another seed, other bootstrap percentiles; every reshuffled
    path ends at the run's total return (one position at a time: pnl sums to the gain)."""
    pnl = [5_000.0, -2_000.0, 3_000.0, -1_500.0, 8_000.0, -500.0]
    result = stored(equity_path(), pnl)
    first = monte_carlo(result, 200, 3, 5)
    assert first == monte_carlo(result, 200, 3, 5)
    other = monte_carlo(result, 200, 4, 5)
    assert other["bootstrap"]["total_return_pct"] != first["bootstrap"]["total_return_pct"]
    assert (first["paths"], first["seed"], first["mean_block"]) == (200, 3, 5)
    assert first["run"] == {"total_return_pct": 12.5, "max_drawdown_pct": 4.0}
    total = sum(pnl) / 100_000 * 100
    assert list(first["trades"]["total_return_pct"].values()) == pytest.approx([total] * 5)
    assert first["trades"]["prob_loss"] == 0.0
    assert first["trades"]["n_trades"] == 6 and first["bootstrap"]["n_returns"] == 400
    drawdowns = first["trades"]["max_drawdown_pct"]
    assert drawdowns["p5"] < drawdowns["p95"]


def test_a_method_its_inputs_cannot_feed_says_why_and_the_other_still_answers():
    """No trade: the reshuffle is unavailable, the bootstrap is there; a block longer than
    the returns: the bootstrap is unavailable."""
    out = monte_carlo(stored(equity_path(50), []), 100, 0, 10)
    assert out["trades"] == {"n_trades": 0, "unavailable": "the run has no trade"}
    assert out["bootstrap"]["n_paths"] == 100
    short = monte_carlo(stored(equity_path(5), [10.0]), 100, 0, 10)
    assert "mean_block" in short["bootstrap"]["unavailable"]
    assert short["trades"]["n_paths"] == 100


def test_the_monte_carlo_csv_has_a_row_per_method_and_statistic_or_the_reason():
    """Header MONTE_CARLO_FIELDS; two rows per method with its percentiles, the run's own
    value and its probability of a loss (export cells); a method that could not run is one
    row with its reason."""
    answer = monte_carlo(stored(equity_path(60), [1_000.0, -400.0, 250.0]), 50, 1, 4)
    lines = monte_carlo_csv(answer).splitlines()
    assert lines[0].split(",") == list(MONTE_CARLO_FIELDS)
    rows = [line.split(",") for line in lines[1:]]
    assert [row[:2] for row in rows] == [
        ["trades", "total_return_pct"],
        ["trades", "max_drawdown_pct"],
        ["bootstrap", "total_return_pct"],
        ["bootstrap", "max_drawdown_pct"],
    ]
    p5 = answer["bootstrap"]["max_drawdown_pct"]["p5"]
    assert rows[3][2] == csv_cell(p5) and rows[3][7] == "4.0" and rows[3][9:12] == ["50", "1", "4"]
    assert rows[2][8] == csv_cell(answer["bootstrap"]["prob_loss"]) and rows[2][12] == ""
    none = monte_carlo_csv(monte_carlo(stored(equity_path(60), []), 50, 1, 4)).splitlines()
    assert none[1] == "trades,,,,,,,,,,1,4,the run has no trade"
    assert len(none) == 4
