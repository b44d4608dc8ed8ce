"""A sweep over the $names of a position-aware exit (docs/execution.md, "Position-aware
exits"): every stored combination equals the same run alone, bit for bit, whether the
chunk would otherwise go through numpy or the compiled one pass; the swept values change
the results; beside a limit entry and a swept size as well."""

from __future__ import annotations

import pytest

from engine import compiled
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from kinds.sweeps.contract import (
    chunk_payload,
    combo_run_request,
    parse_chunk,
    parse_sweep_request,
    plan_chunks,
)
from kinds.sweeps.search_sweep import evaluate_chunk
from tests.sweeps.support import holds_its_run
from work.errors import RequestError

PARAMS = {
    "entry": "crossover(close, sma(close, 20))",
    "exit": "crossunder(close, sma(close, 50)) or bars_held >= $n or open_return >= $k",
    "bounds": {"n": [1, 60], "k": [1, 50]},
    "n": 10,
    "k": 8,
}


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
            assert holds_its_run(row, metrics), row
            returns.add(row["total_return_pct"])
    assert len(returns) > 4


@pytest.mark.parametrize("one_pass", [False, True], ids=["numpy", "compiled"])
def test_a_swept_point_of_a_limit_entry_with_a_time_exit_and_an_atr_size_equals_its_run(
    one_pass, monkeypatch
):
    """The exit's ``$n`` and the size's ``$risk`` swept beside a limit entry: each stored
    combination equals the same run alone (the walk never takes the compiled order path
    for them, however much work there is)."""
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0 if one_pass else 10**18)
    sweep = parse_sweep_request(
        {
            "tickers": ["ACME"],
            "rule_type": "EXPR",
            "params": PARAMS,
            "grid": {"n": [2, 5, 20], "size_expr.risk": [0.005, 0.02]},
            "start_date": "2016-01-01",
            "end_date": "2019-06-30",
            "chunk_size": 50,
            "entry_order": {"type": "limit", "limit": "close * 0.99", "valid_bars": 3},
            "size_expr": {"expr": "$risk * equity / (2 * atr(14))", "unit": "shares"},
        }
    )
    stored = sweep.to_dict()
    returns = set()
    (chunk,) = plan_chunks(sweep.grid.combos, sweep.tickers, 50)
    for row in evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows:
        body = combo_run_request(stored, chunk.ticker, row["params"])
        assert body["size_expr"]["params"] == {"risk": row["params"]["size_expr.risk"]}
        assert body["params"]["n"] == row["params"]["n"]
        metrics = execute(parse_request({**body, "charts": False})).metrics
        assert holds_its_run(row, metrics), row
        returns.add(row["total_return_pct"])
    assert len(returns) == 6


def test_a_swept_hold_compared_with_bars_held_is_stored_as_integers():
    """``$n`` compared with ``bars_held`` is a count of bars: a range of it expands to
    ints, stored and shown as 2, 4, 6 (not 2.0), and a fraction in its grid is refused
    naming it."""
    request = {
        "tickers": ["ACME"],
        "rule_type": "EXPR",
        "params": {"entry": "rsi(close, 14) < 40", "exit": "bars_held >= $n"},
        "grid": {"n": "2:6:2"},
        "start_date": "2016-01-01",
        "end_date": "2019-06-30",
    }
    sweep = parse_sweep_request(request)
    stored = sweep.to_dict()
    rows = []
    for chunk in plan_chunks(sweep.grid.combos, sweep.tickers, 4):
        rows += evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows
    assert [row["params"]["n"] for row in rows] == [2, 4, 6]
    assert all(type(row["params"]["n"]) is int for row in rows)
    body = combo_run_request(stored, "ACME", rows[0]["params"])
    assert type(parse_request({**body, "charts": False}).params["n"]) is int
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**request, "grid": {"n": [2.5, 4]}})
    assert caught.value.field == "grid.n"
