"""A sweep with ``exit_priority`` (docs/execution.md, "Execution convention"): every stored
combination equals the same run alone, bit for bit, through numpy, the compiled one pass,
the stop walk and the position-aware exit's walk; and the field changes the results."""

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

STATIC = {
    "entry": "close < sma(close, $n)",
    "exit": "close < sma(close, 50) or crossunder(close, sma(close, 10))",
    "n": 20,
}
"""A state entry and an exit that often hold on the same bar."""

TIMED = {
    "entry": "rsi(close, 14) < $lo",
    "exit": "bars_held >= $hold",
    "lo": 45,
    "hold": 5,
}
"""A state entry and a time exit."""


def _rows(request: dict) -> list[tuple[str, dict]]:
    sweep = parse_sweep_request(request)
    stored = sweep.to_dict()
    out = []
    for chunk in plan_chunks(sweep.grid.combos, sweep.tickers, 4):
        for row in evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows:
            out.append((combo_run_request(stored, chunk.ticker, row["params"]), row))
    return out


@pytest.mark.parametrize("one_pass", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize(
    ("params", "grid", "trading"),
    [
        (STATIC, {"n": [5, 20, 40]}, {}),
        (STATIC, {"n": [5, 20, 40]}, {"direction": "longshort"}),
        (STATIC, {"n": [5, 20]}, {"stop_loss_pct": 5}),
        (TIMED, {"hold": [2, 5, 9], "lo": [40, 50]}, {}),
    ],
    ids=["static", "static-longshort", "static-stop", "time-exit"],
)
def test_each_point_with_exit_priority_equals_the_run_alone(
    params, grid, trading, one_pass, monkeypatch
):
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0 if one_pass else 10**18)
    request = {
        "tickers": ["ACME", "HOOLI"],
        "rule_type": "EXPR",
        "params": params,
        "grid": grid,
        "start_date": "2016-01-01",
        "end_date": "2019-06-30",
        "chunk_size": 50,
        **trading,
    }
    first = _rows({**request, "exit_priority": True})
    default = _rows(request)
    differs = 0
    for (body, row), (_, before) in zip(first, default, strict=True):
        assert body["exit_priority"] is True
        metrics = execute(parse_request({**body, "charts": False})).metrics
        assert holds_its_run(row, metrics), row
        differs += row["total_return_pct"] != before["total_return_pct"]
    assert differs > len(first) // 2
