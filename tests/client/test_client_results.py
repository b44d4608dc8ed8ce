"""``backtest_client.Result`` on result documents a run can produce but the end-to-end run
does not: no trade at all, a trade still open at the end, an empty curve."""

from __future__ import annotations

import pandas as pd

from backtest_client import Result
from backtest_client.frames import TRADE_COLUMNS

RUN_ID = "5b0b7b9e-5a4e-4c7a-9b1e-000000000001"
OPEN_TRADE = {
    "trade_no": 1,
    "side": "BUY",
    "size": 10,
    "entry_timestamp": "2021-02-01T21:00:00+00:00",
    "exit_timestamp": None,
    "entry_price": 100.0,
    "exit_price": 104.0,
    "entry_fee": 1.0,
    "exit_fee": 0.0,
    "pnl_abs": 39.0,
    "pnl_pct": 3.9,
    "holding_period": 3,
    "is_open": True,
}


def test_a_run_without_trades_has_an_empty_frame_with_every_column():
    trades = Result({"run_id": RUN_ID, "trades": []}).trades
    assert trades.empty and tuple(trades.columns) == TRADE_COLUMNS


def test_an_open_trade_has_no_exit_time():
    trades = Result({"run_id": RUN_ID, "trades": [OPEN_TRADE]}).trades
    assert pd.isna(trades.loc[0, "exit_timestamp"])
    assert trades.loc[0, "entry_timestamp"] == pd.Timestamp("2021-02-01 21:00", tz="UTC")


def test_stats_without_a_curve_are_the_metrics_alone():
    stats = Result({"run_id": RUN_ID, "metrics": {"sharpe_ratio": None, "num_trades": 0}}).stats
    assert stats.to_dict() == {"sharpe_ratio": None, "num_trades": 0}
    assert stats.name == RUN_ID


def test_the_drawdown_is_a_series_of_the_drawdown_curve():
    curve = {"timestamps": ["2021-02-01T21:00:00+00:00", "2021-02-02T21:00:00+00:00"]}
    result = Result({"run_id": RUN_ID, "drawdown_curve": {**curve, "drawdown_pct": [0, 1.5]}})
    assert result.drawdown.tolist() == [0.0, 1.5] and result.drawdown.name == "drawdown_pct"
