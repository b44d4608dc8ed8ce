"""The notebook client against the real platform (the ``stack`` fixture: web and local
scaler processes on MariaDB and Redis): a run read as pandas objects equals its stored result
JSON, a refused request names its field, a sweep's results are one row per combo."""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from adapters import TRADE_FIELDS
from backtest_client import BacktestRequestError, Client, Result
from backtest_client.frames import TRADE_COLUMNS
from metrics import SWEEP_METRIC_KEYS

pytestmark = [pytest.mark.slow, pytest.mark.mysql, pytest.mark.redis]

RUN = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 30},
    "start_date": "2018-01-01",
    "end_date": "2019-12-31",
}


@pytest.fixture(scope="module")
def client(stack) -> Client:
    return Client(stack.base_url)


@pytest.fixture(scope="module")
def finished(client: Client, stack) -> tuple[Result, dict]:
    """One run through the platform, as a notebook does it, and its stored result JSON."""
    result = client.run(**RUN, direction="longshort", charts=False).wait(timeout=120)
    stored = requests.get(f"{stack.base_url}/runs/{result.run_id}/result.json", timeout=10)
    return result, stored.json()


def test_equity_is_a_series_equal_to_the_result_jsons_curve(finished):
    result, stored = finished
    curve = stored["equity_curve"]
    expected = pd.Series(
        curve["equity"],
        index=pd.DatetimeIndex(pd.to_datetime(curve["timestamps"], utc=True), name="timestamp"),
        name="equity",
    )
    pd.testing.assert_series_equal(result.equity, expected)
    assert str(result.equity.index.tz) == "UTC" and len(result.equity) > 400


def test_trades_are_a_frame_of_the_trade_records(finished):
    result, stored = finished
    trades = result.trades
    assert tuple(trades.columns) == TRADE_COLUMNS == TRADE_FIELDS
    assert len(trades) == len(stored["trades"]) > 0
    assert trades["pnl_abs"].tolist() == [t["pnl_abs"] for t in stored["trades"]]
    assert isinstance(trades["entry_timestamp"].dtype, pd.DatetimeTZDtype)


def test_stats_hold_the_metrics_and_the_curves_ends(finished):
    result, stored = finished
    stats = result.stats
    assert stats["sharpe_ratio"] == stored["metrics"]["sharpe_ratio"]
    assert stats["max_drawdown_pct"] == stored["metrics"]["max_drawdown_pct"]
    assert set(stored["metrics"]) <= set(stats.index)
    assert stats["start"] == result.equity.index[0] and stats["end"] == result.equity.index[-1]
    assert stats["equity_final"] == stored["equity_curve"]["equity"][-1]


def test_the_result_carries_what_reproduces_it(finished):
    result, stored = finished
    assert result.request == stored["request"] and result.request["direction"] == "longshort"
    assert result.data_hash == stored["data_hash"] and len(result.data_hash) == 64
    assert result.engine_version == stored["engine_version"]


def test_a_refused_run_raises_with_the_servers_field(client: Client):
    with pytest.raises(BacktestRequestError) as refused:
        client.run("NOPE", "SMA_CROSS", None, "2018-01-01", "2019-12-31")
    assert (refused.value.field, refused.value.status) == ("ticker", 400)
    assert "NOPE" in refused.value.message


def test_a_sweeps_results_are_one_row_per_combo(client: Client):
    sweep = client.sweep(
        "SMA_CROSS", {"fast": [5, 10, 15], "slow": "20:30:10"}, ["ACME"], "2018-01-01", "2019-12-31"
    )
    assert sweep.accepted["combos"] == 6
    results = sweep.wait(timeout=120).results
    assert len(results) == 6 and results.index.name == "combo_no"
    assert ["ticker", "fast", "slow", *SWEEP_METRIC_KEYS] == list(results.columns)
    assert sorted(zip(results["fast"], results["slow"], strict=True)) == [
        (f, s) for f in (5, 10, 15) for s in (20, 30)
    ]
    assert results["sharpe_ratio"].notna().all()
