"""A sweep over the $names of a position-aware exit (docs/execution.md, "Position-aware
exits"): every stored combination equals the same run alone, bit for bit, whether the
chunk would otherwise go through numpy or the compiled one pass; the swept values change
the results; an entry order beside such an exit is refused naming ``entry_order``."""

from __future__ import annotations

import pytest

from engine import compiled
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute
from kinds.sweeps.contract import (
    chunk_payload,
    combo_run_request,
    parse_chunk,
    parse_sweep_request,
    plan_chunks,
)
from kinds.sweeps.search_sweep import evaluate_chunk
from metrics import SWEEP_METRIC_KEYS as SWEEP_METRICS

PARAMS = {
    "entry": "crossover(close, sma(close, 20))",
    "exit": "crossunder(close, sma(close, 50)) or bars_held >= $n or open_return >= $k",
    "bounds": {"n": [1, 60], "k": [1, 50]},
    "n": 10,
    "k": 8,
}


def _same(a, b) -> bool:
    return a == b or (a is None and b is None)


@pytest.mark.parametrize("one_pass", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize(
    "trading",
    [{}, {"stop_loss_pct": 4, "direction": "longshort", "close_open_trades_at_end": True}],
    ids=["plain", "stops-longshort-closed"],
)
def test_each_swept_point_equals_the_run_alone(trading, one_pass, monkeypatch):
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0 if one_pass else 10**18)
    sweep = parse_sweep_request(
        {
            "tickers": ["ACME", "HOOLI"],
            "rule_type": "EXPR",
            "params": PARAMS,
            "grid": {"n": [2, 5, 20], "k": [3, 40]},
            "start_date": "2016-01-01",
            "end_date": "2019-06-30",
            "chunk_size": 50,
            **trading,
        }
    )
    stored = sweep.to_dict()
    returns = set()
    for chunk in plan_chunks(sweep.grid.combos, sweep.tickers, 4):
        rows = evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows
        for row in rows:
            body = combo_run_request(stored, chunk.ticker, row["params"])
            metrics = execute(parse_request({**body, "charts": False})).metrics
            assert all(_same(row[name], metrics[name]) for name in SWEEP_METRICS), row
            returns.add(row["total_return_pct"])
    assert len(returns) > 4


def test_an_entry_order_beside_a_position_exit_is_refused_naming_entry_order():
    body = {
        "ticker": "ACME",
        "rule_type": "EXPR",
        "params": PARAMS,
        "start_date": "2016-01-01",
        "end_date": "2019-06-30",
        "entry_order": {"type": "limit", "limit": "close * 0.99"},
    }
    with pytest.raises(RequestError) as caught:
        parse_request(body)
    assert caught.value.field == "entry_order"
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**body, "grid": {"n": [2, 5]}})
    assert caught.value.field == "entry_order"
    market = parse_request({**body, "entry_order": {"type": "market"}})
    assert market.entry_order is None
