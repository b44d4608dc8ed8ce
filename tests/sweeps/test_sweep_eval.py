"""kinds.sweeps.evaluate: every stored combination's metrics equal, bit for bit (==), what
kinds.runs.execute gives for the same request, whatever chunk or block it was computed in."""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine import compiled
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute, load_market_data, market_window
from kinds.sweeps.contract import (
    chunk_payload,
    combo_run_request,
    parse_chunk,
    parse_sweep_request,
    plan_chunks,
)
from kinds.sweeps.evaluate import BLOCK_KEY, evaluate
from kinds.sweeps.search_sweep import evaluate_chunk
from metrics import SWEEP_METRIC_KEYS as SWEEP_METRICS
from tests.sweeps.support import holds_its_run

SWEEPS = [
    pytest.param(
        {"rule_type": "SMA_CROSS", "grid": {"fast": "2:40:3", "slow": "10:90:8"}}, id="sma"
    ),
    pytest.param(
        {
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "3:30:3", "slow": "20:60:10"},
            "direction": "longshort",
            "slippage_bps": 4,
        },
        id="sma-longshort",
    ),
    pytest.param(
        {
            "rule_type": "RSI",
            "grid": {"period": [7, 14, 21], "oversold": "20:40:5", "overbought": [60, 75]},
            "size_type": "percent",
            "position_size": 100,
            "direction": "longshort",
        },
        id="rsi-percent-longshort",
    ),
    pytest.param(
        {
            "rule_type": "BOLLINGER",
            "grid": {"period": [10, 20, 30], "std_dev": "1.5:2.5:0.25"},
            "size_type": "percent",
            "position_size": 50,
        },
        id="bollinger-percent",
    ),
    pytest.param(
        {
            "rule_type": "VOLUME",
            "grid": {
                "volume_period": [10, 20],
                "volume_factor": "1.2:2:0.4",
                "exit_period": [5, 20],
            },
        },
        id="volume",
    ),
    pytest.param(
        {"rule_type": "TREND", "grid": {"period": [7, 14, 28], "adx_threshold": "15:35:10"}},
        id="trend",
    ),
    pytest.param(
        {
            "rule_type": "ATR",
            "grid": {"period": [5, 14], "multiplier": "0.5:2:0.5"},
            "direction": "longshort",
        },
        id="atr-longshort",
    ),
    pytest.param(
        {"rule_type": "COMPOSITE", "grid": {"operator": ["AND", "OR"]}, "fee_rate": 0.002},
        id="composite",
    ),
    pytest.param(
        {
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "3:30:9", "slow": [40, 80], "stop_loss_pct": "2:10:2"},
            "take_profit_pct": 15,
        },
        id="sma-stop-loss-swept",
    ),
    pytest.param(
        {
            "rule_type": "RSI",
            "grid": {"period": [7, 14], "stop_loss_pct": [None, 3, 6], "trailing_stop_pct": [5]},
            "stop_loss_pct": 8,
            "size_type": "percent",
            "position_size": 100,
            "direction": "longshort",
            "slippage_bps": 3,
        },
        id="rsi-stops-swept-longshort",
    ),
    pytest.param(
        {
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "3:30:9", "slow": [40, 80]},
            "size_type": "percent",
            "position_size": 100,
            "direction": "longshort",
            "fee_fixed": 2.5,
            "fee_per_share": 0.005,
            "fee_min": 1,
            "fee_max": 15,
            "borrow_rate": 0.04,
            "close_open_trades_at_end": True,
        },
        id="sma-costs-longshort-closed-at-end",
    ),
    pytest.param(
        {
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "3:30:9", "slow": [40, 80]},
            "entry_order": {"type": "stop_limit", "stop": "high", "limit": "high * 1.01"},
            "stop_loss_pct": 4,
        },
        id="sma-stop-limit-entry",
    ),
    pytest.param(
        {
            "rule_type": "RSI",
            "grid": {"period": [7, 14], "entry_order.k": "0:3:1", "entry_order.n": [1, 5]},
            "entry_order": {
                "type": "limit",
                "limit": "min(close * (1 - $k/100), sma(low, $n))",
                "params": {"k": 1, "n": 3},
                "valid_bars": 2,
            },
            "direction": "longshort",
            "size_type": "percent",
            "position_size": 100,
        },
        id="rsi-limit-entry-swept",
    ),
    pytest.param(
        {
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "3:30:9", "slow": [40, 80]},
            "entry_order": {"type": "limit", "limit": "close * 0.99", "valid_bars": 3},
            "fee_fixed": 2.5,
            "fee_per_share": 0.005,
            "fee_min": 1,
            "close_open_trades_at_end": True,
        },
        id="sma-limit-entry-costs-closed-at-end",
    ),
    pytest.param(
        {
            "rule_type": "RSI",
            "grid": {"period": [7, 14], "entry_order.k": [0.5, 2]},
            "entry_order": {"type": "limit", "limit": "close * (1 + $k/100)", "params": {"k": 1}},
            "direction": "longshort",
            "borrow_rate": 0.2,
        },
        id="rsi-limit-entry-longshort-borrow",
    ),
]


@pytest.mark.parametrize("one_pass", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize("fields", SWEEPS)
def test_stored_metrics_equal_a_single_run_bit_for_bit(fields, one_pass, monkeypatch):
    """A sample of combos from several chunks and two tickers: each stored metric == the
    metric of execute() on the combo's own run request, whether the chunk ran through
    numpy or the compiled one pass (``engine.compiled``; the single run stays on numpy)."""
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0 if one_pass else 10**18)
    monkeypatch.setattr(compiled, "pays", lambda work, threshold: work >= threshold)
    body = {
        "tickers": ["ACME", "HOOLI"],
        "start_date": "2016-01-01",
        "end_date": "2019-06-30",
        "chunk_size": 50,
        **fields,
    }
    sweep = parse_sweep_request(body)
    stored = sweep.to_dict()
    chunks = plan_chunks(sweep.grid.combos, sweep.tickers, 7)  # many small chunks
    rng = random.Random(5)
    checked = 0
    for chunk in [*rng.sample(chunks, min(4, len(chunks))), chunks[0], chunks[-1]]:
        rows = evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows
        assert [r["combo_no"] for r in rows] == [
            chunk.combo_first + k for k in range(len(chunk.combos))
        ]
        for row in rng.sample(rows, min(2, len(rows))):
            run = parse_request(
                {**combo_run_request(stored, row["ticker"], row["params"]), "charts": False}
            )
            metrics = execute(run).metrics
            for name in SWEEP_METRICS:
                assert row[name] == metrics[name], (name, row[name], metrics[name], row)
            checked += 1
    assert checked >= 6


def test_block_size_does_not_change_any_value():
    """Rows computed 3 at a time equal rows computed 500 at a time (==, NaN where NaN)."""
    sweep = parse_sweep_request(
        {
            "ticker": "GLOBEX",
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "2:30:2", "slow": "8:60:4"},
            "start_date": "2015-01-01",
            "end_date": "2020-12-31",
            "direction": "longshort",
        }
    )
    params = [sweep.grid.params(sweep.params, c) for c in sweep.grid.combos]
    frame = market_window(load_market_data(sweep.base))
    small = evaluate(frame, sweep.base, params, block=3)
    large = evaluate(frame, sweep.base, params, block=500)
    for name in SWEEP_METRICS:
        np.testing.assert_array_equal(small[name], large[name])
    assert len(small["sharpe_ratio"]) == len(params) == sweep.combos


def test_an_empty_parameter_list_gives_empty_columns():
    """No combos: every metric is an empty array."""
    sweep = parse_sweep_request(
        {
            "ticker": "ACME",
            "rule_type": "RSI",
            "grid": {"period": [14]},
            "start_date": "2016-01-01",
            "end_date": "2016-12-31",
        }
    )
    out = evaluate(market_window(load_market_data(sweep.base)), sweep.base, [])
    assert set(out) == set(SWEEP_METRICS) and all(v.size == 0 for v in out.values())


def test_a_sweep_over_stop_loss_pct_changes_the_results_and_matches_single_runs():
    """stop_loss_pct swept over off, 1%, 3%: three different results (the same trades are
    opened: a stopped-out long waits for the next cross-up), and every combo equals its own
    run (metrics ==)."""
    sweep = parse_sweep_request(
        {
            "ticker": "ACME",
            "rule_type": "SMA_CROSS",
            "params": {"fast": 10},
            "grid": {"slow": [50], "stop_loss_pct": [None, 1, 3]},
            "start_date": "2016-01-01",
            "end_date": "2019-06-30",
        }
    )
    assert sweep.grid.names == ("slow", "stop_loss_pct")
    (chunk,) = plan_chunks(sweep.grid.combos, sweep.tickers, 50)
    rows = evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows
    assert [row["params"] for row in rows] == [
        {"slow": 50, "stop_loss_pct": None},
        {"slow": 50, "stop_loss_pct": 1.0},
        {"slow": 50, "stop_loss_pct": 3.0},
    ]
    off, tight, loose = rows
    assert tight["num_trades"] == off["num_trades"]
    assert tight["total_return_pct"] != loose["total_return_pct"] != off["total_return_pct"]
    for row in rows:
        body = combo_run_request(sweep.to_dict(), "ACME", row["params"])
        assert body.get("stop_loss_pct") == row["params"]["stop_loss_pct"]
        metrics = execute(parse_request({**body, "charts": False})).metrics
        assert holds_its_run(row, metrics)


@pytest.mark.parametrize("kind", ["limit", "market_if_touched"])
def test_a_sweep_over_an_entry_order_s_name_changes_the_results_and_matches_single_runs(kind):
    """``entry_order.k`` swept over 0.5, 2 and 5 (a buy limit, or a market-if-touched
    order, k % under the signal close): three different results, each equal to its own
    run, whose request carries the value in ``entry_order.params``."""
    sweep = parse_sweep_request(
        {
            "ticker": "ACME",
            "rule_type": "SMA_CROSS",
            "params": {"fast": 10},
            "grid": {"slow": [50], "entry_order.k": [0.5, 2, 5]},
            "entry_order": {"type": kind, "limit": "close * (1 - $k/100)", "valid_bars": 5},
            "start_date": "2016-01-01",
            "end_date": "2019-06-30",
        }
    )
    assert sweep.grid.names == ("slow", "entry_order.k")
    (chunk,) = plan_chunks(sweep.grid.combos, sweep.tickers, 50)
    rows = evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows
    assert [row["params"]["entry_order.k"] for row in rows] == [0.5, 2.0, 5.0]
    assert len({row["total_return_pct"] for row in rows}) == 3
    for row in rows:
        body = combo_run_request(sweep.to_dict(), "ACME", row["params"])
        assert body["entry_order"]["params"] == {"k": row["params"]["entry_order.k"]}
        metrics = execute(parse_request({**body, "charts": False})).metrics
        assert holds_its_run(row, metrics)


def test_a_grid_entry_of_an_entry_order_must_name_one_of_its_names():
    body = {
        "ticker": "ACME",
        "rule_type": "SMA_CROSS",
        "grid": {"entry_order.z": [1, 2]},
        "entry_order": {"type": "limit", "limit": "close * (1 - $k/100)", "params": {"k": 1}},
        "start_date": "2016-01-01",
        "end_date": "2019-06-30",
    }
    with pytest.raises(RequestError) as err:
        parse_sweep_request(body)
    assert err.value.field == "grid.entry_order.z"
    body["grid"] = {"entry_order.k": [1, "x"]}
    with pytest.raises(RequestError) as err:
        parse_sweep_request(body)
    assert err.value.field == "grid.entry_order.k"


def test_a_limit_entry_sweep_walks_every_block_through_the_broker_step_alike(monkeypatch):
    """880 bars × 2,100 combinations: every combination goes through the broker's compiled
    step (SMA_CROSS's crossings read in its pass, all at once) and gives what the step's
    walk gives with the paths and metrics built after it (signals in blocks of 500), bit
    for bit."""
    sweep = parse_sweep_request(
        {
            "ticker": "ACME",
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "2:43:1", "slow": "45:195:3"},
            "entry_order": {"type": "limit", "limit": "close * 0.99", "valid_bars": 3},
            "fee_per_share": 0.005,
            "fee_min": 1,
            "start_date": "2016-01-01",
            "end_date": "2019-06-30",
        }
    )
    params = [sweep.grid.params(sweep.params, c) for c in sweep.grid.combos]
    frame = market_window(load_market_data(sweep.base))
    from engine import backtest
    from engine.broker import curves

    walked = []
    evaluate_runs = curves.evaluate

    def counted(*args, parallel):
        walked.append(max(len(args[0]), len(args[3])))  # signal rows, or crossing runs
        return evaluate_runs(*args, parallel=parallel)

    monkeypatch.setattr(curves, "evaluate", counted)
    kernel = evaluate(frame, sweep.base, params, blocks=4)
    assert walked == [len(params)]
    with monkeypatch.context() as unreduced:
        unreduced.setattr(backtest, "_curves", lambda *args: False)
        python = evaluate(frame, sweep.base, params, blocks=4)
    assert len(walked) == 1  # the walk outside the pass took none through it
    for key in (*SWEEP_METRICS, BLOCK_KEY):
        np.testing.assert_array_equal(kernel[key], python[key], err_msg=key)
    assert kernel["num_trades"].sum() > len(params)
