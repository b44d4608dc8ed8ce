"""A run with the broker's costs and the close at the end, end to end (``execute``): the
stored request names them, each trade record reports its borrow fee and its fees in total,
the profits add up to the equity's change, and the report's Total fees sums the fees."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.tearsheet import report_series, total_fees, trade_fees
from adapters.trades import FEE_FIELDS
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from tests.runs.test_runs_execute import GOLDEN_REQUEST

COSTS = {
    "fee_fixed": 1.0,
    "fee_per_share": 0.005,
    "fee_min": 1.0,
    "fee_max": 20.0,
    "borrow_rate": 0.05,
    "close_open_trades_at_end": True,
}


@pytest.fixture(scope="module")
def result():
    """The golden request (long-short SMA_CROSS on ACME) with every cost set."""
    return execute(parse_request({**GOLDEN_REQUEST, **COSTS}))


def test_the_stored_request_names_the_costs(result):
    """The costs are part of the request the result records (and of its cache key)."""
    assert {name: result.request[name] for name in COSTS} == COSTS


def test_every_trade_reports_its_borrow_fee_and_its_fees(result):
    """``fees`` = entry + exit + borrow fee; shorts pay a borrow fee, longs none; every
    order pays at least the fixed fee and the minimum."""
    trades = result.trades
    assert trades and all(set(FEE_FIELDS) <= set(t) for t in trades)
    for t in trades:
        assert t["fees"] == pytest.approx(t["entry_fee"] + t["exit_fee"] + t["borrow_fee"])
        assert t["entry_fee"] >= 2.0 and t["exit_fee"] >= 2.0
        assert (t["borrow_fee"] > 0) == (t["side"] == "SELL")


def test_the_trade_closed_at_the_end_makes_the_profits_add_up_to_the_equity(result):
    """Nothing is left open, so the trades' profits (net of every fee) sum to the change of
    equity over the run."""
    trades = result.trades
    assert trades[-1]["exit_reason"] == "closed_at_end" and not trades[-1]["is_open"]
    equity = result.equity_curve["equity"]
    assert sum(t["pnl_abs"] for t in trades) == pytest.approx(equity[-1] - equity[0], abs=1e-6)


def test_total_fees_sums_every_trade_s_fees(result):
    """The report metric reads the stored trades: the sum of their ``fees``."""
    series = report_series(
        np.arange(3).astype("datetime64[D]"),
        [1.0, 1.0, 1.0],
        252,
        trade_fees=trade_fees(result.trades),
    )
    assert total_fees(series) == pytest.approx(sum(t["fees"] for t in result.trades))


def test_a_run_without_costs_keeps_its_trade_records_as_they_were():
    """No cost beyond fee_rate: no fee fields, and Total fees is entry + exit fees."""
    trades = execute(parse_request(GOLDEN_REQUEST)).trades
    assert not any(set(FEE_FIELDS) & set(t) for t in trades)
    expected = sum(t["entry_fee"] + t["exit_fee"] for t in trades)
    assert trade_fees(trades).sum() == pytest.approx(expected)
