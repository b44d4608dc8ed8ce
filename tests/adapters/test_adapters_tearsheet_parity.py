"""The report-depth metrics (``adapters.tearsheet``) against their peers on the same returns:
quantstats 0.0.86 and empyrical-reloaded 0.7.1, run in the peer venv (.venv-bench,
requirements-bench.txt; scripts/test.sh installs it) by tests/adapters/tearsheet_peer.py, and
backtesting.py 0.6.6 (requirements-dev.txt) for the trade statistics. Every figure equals its
peer's within 1e-9 (relative), percent figures × 100. These tests never skip.

Named conventions (metrics.REPORT_NOTES says the same on the page): value at risk and CVaR
are historical, empyrical's — quantstats' default is parametric (normal), shown apart below;
Kelly reads closed trades' profit in currency as backtesting.py's (quantstats applies the same
formula to a return series: given the trades' profits, the same figure).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from adapters import tearsheet
from adapters.tearsheet import report_series
from tests.peer_venv import MISSING, peer_python

RELATIVE = 1e-9
PEER = Path(__file__).with_name("tearsheet_peer.py")

# our key -> (peer figure, our unit's factor over the peer's)
SAME_AS_PEER = {
    "omega_ratio": ("omega_ratio", 1.0),
    "smart_sharpe": ("smart_sharpe", 1.0),
    "gain_to_pain_ratio": ("gain_to_pain_ratio", 1.0),
    "tail_ratio": ("tail_ratio", 1.0),
    "var_95_pct": ("var_95", 100.0),
    "cvar_95_pct": ("cvar_95", 100.0),
    "ulcer_index_pct": ("ulcer_index", 100.0),
    "avg_drawdown_pct": ("avg_drawdown_pct", -1.0),
    "kelly_pct": ("kelly", 100.0),
    "win_month_pct": ("win_month", 100.0),
    "win_year_pct": ("win_year", 100.0),
    "best_day_pct": ("best_day", 100.0),
    "worst_day_pct": ("worst_day", 100.0),
    "best_month_pct": ("best_month", 100.0),
    "worst_month_pct": ("worst_month", 100.0),
    "best_year_pct": ("best_year", 100.0),
    "worst_year_pct": ("worst_year", 100.0),
}


def _case(seed: int) -> dict:
    """Daily bars stamped 21:00 UTC over 1-4 years, fat-tailed returns (Student t, 3
    degrees) with flat bars, and 10-80 closed trades' profits (none break even)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(260, 1000))
    days = np.arange(np.datetime64("2018-01-02"), np.datetime64("2018-01-02") + 2 * n)
    stamps = days[np.is_busday(days)][:n].astype("datetime64[s]") + np.timedelta64(21, "h")
    r = rng.standard_t(3, n - 1) * rng.uniform(0.003, 0.02) + rng.uniform(-0.0005, 0.001)
    r[rng.random(n - 1) < rng.uniform(0.0, 0.4)] = 0.0
    equity = 10_000.0 * np.concatenate(([1.0], np.cumprod(1.0 + r)))
    pnl = rng.normal(rng.uniform(-50, 100), 300, int(rng.integers(10, 80)))
    return {"series": report_series(stamps, equity, 252, pnl)}


@pytest.fixture(scope="module")
def compared() -> list[tuple[tearsheet.ReportSeries, dict]]:
    python = peer_python()
    assert python, MISSING
    cases = [_case(seed)["series"] for seed in range(8)]
    payload = [
        {
            "timestamps": [str(t) for t in s.timestamps[1:]],
            "returns": s.returns.tolist(),
            "pnl": s.trade_pnl.tolist(),
            "bars_per_year": s.bars_per_year,
        }
        for s in cases
    ]
    done = subprocess.run(
        [python, str(PEER)], input=json.dumps(payload), capture_output=True, text=True, check=True
    )
    return list(zip(cases, json.loads(done.stdout), strict=True))


@pytest.mark.parametrize("key", sorted(SAME_AS_PEER))
def test_each_report_metric_equals_its_peer_on_the_same_returns(compared, key):
    figure, factor = SAME_AS_PEER[key]
    for series, peer in compared:
        ours = getattr(tearsheet, key)(series)
        if key == "avg_drawdown_pct" and peer[figure] is None:
            _assert_never_recovered_from_the_first_bar(series, ours)
            continue
        assert peer[figure] is not None, (key, "the peer gave no figure")
        assert ours == pytest.approx(peer[figure] * factor, rel=RELATIVE, abs=1e-12), key


def _assert_never_recovered_from_the_first_bar(series, ours) -> None:
    """The named difference of the average drawdown: a curve under water from its first
    return to its last has one episode for us (its depth the max drawdown) and none for
    quantstats, whose drawdown_details only starts an episode after a bar at the peak."""
    under = series.equity[1:] < np.maximum.accumulate(series.equity)[1:]
    assert under.all()
    deepest = (1 - series.equity.min() / series.equity[0]) * 100
    assert ours == pytest.approx(deepest, rel=RELATIVE)


def test_omega_and_tail_ratio_equal_empyricals_too(compared):
    for series, peer in compared:
        assert tearsheet.omega_ratio(series) == pytest.approx(
            peer["empyrical_omega_ratio"], RELATIVE
        )
        assert tearsheet.tail_ratio(series) == pytest.approx(peer["empyrical_tail_ratio"], RELATIVE)


def test_value_at_risk_is_historical_where_quantstats_default_is_parametric(compared):
    """The convention: our VaR is the 5th percentile of the bar returns (empyrical's);
    quantstats' default VaR is mean + std × Φ⁻¹(0.05) and its CVaR the normal expected
    shortfall. On fat-tailed returns they differ; quantstats' historical CVaR is ours."""
    z = NormalDist().inv_cdf(0.05)
    for series, peer in compared:
        r = series.returns
        parametric = r.mean() + r.std(ddof=1) * z
        assert peer["quantstats_var_95"] == pytest.approx(parametric, rel=1e-9)
        assert tearsheet.var_95_pct(series) / 100 != pytest.approx(parametric, rel=1e-3)
        shortfall = r.mean() - r.std(ddof=1) * NormalDist().pdf(z) / 0.05
        assert peer["quantstats_cvar_95"] == pytest.approx(shortfall, rel=1e-9)
        assert tearsheet.cvar_95_pct(series) / 100 == pytest.approx(
            peer["quantstats_cvar_95_historical"], rel=RELATIVE
        )


def test_sqn_and_kelly_equal_backtesting_pys_on_its_own_trades():
    """backtesting.py's SMA cross on its bundled GOOG: its "SQN" and "Kelly Criterion" from
    the trades' PnL in currency are ours on the same profits."""
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import GOOG, SMA

    class SmaCross(Strategy):
        def init(self):
            self.fast = self.I(SMA, self.data.Close, 10)
            self.slow = self.I(SMA, self.data.Close, 20)

        def next(self):
            if crossover(self.fast, self.slow):
                self.position.close()
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()
                self.sell()

    stats = Backtest(GOOG, SmaCross, cash=10_000, commission=0.002, finalize_trades=True).run()
    pnl = stats._trades["PnL"].to_numpy()
    series = report_series(
        np.array(["2020-01-01", "2020-01-02"], "datetime64[s]"), [1.0, 1.0], 252, pnl
    )
    assert pnl.size > 10
    assert tearsheet.sqn(series) == pytest.approx(stats["SQN"], rel=RELATIVE)
    assert tearsheet.kelly_pct(series) == pytest.approx(
        stats["Kelly Criterion"] * 100, rel=RELATIVE
    )
