"""A sweep with a position size expression (docs/execution.md, "Position size as an
expression"): its ``size_expr.<name>`` values are grid entries, and every stored
combination equals the same run alone, bit for bit; a grid name the expression lacks is
refused naming it."""

from __future__ import annotations

import pytest

from kinds.runs.contract import RequestError
from kinds.sweeps.contract import (
    parse_sweep_request,
)
from tests.sweeps.support import alone, chunk_rows, holds_its_run

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": {"slow": 40},
    "start_date": "2016-01-01",
    "end_date": "2019-06-30",
    "size_expr": {"expr": "$risk * equity / (2 * atr(14))", "unit": "shares"},
}


@pytest.mark.parametrize(
    "extra",
    [{}, {"stop_loss_pct": 5, "direction": "longshort", "borrow_rate": 0.02}],
    ids=["plain", "stops-longshort-borrow"],
)
def test_each_combination_of_a_swept_risk_equals_its_run_alone(extra):
    sweep = parse_sweep_request(
        {**BODY, **extra, "grid": {"fast": [5, 10], "size_expr.risk": [0.005, 0.01, 0.03]}}
    )
    assert sweep.grid.names == ("fast", "size_expr.risk")
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 6
    for row in rows:
        body, metrics = alone(sweep, row)
        assert body["size_expr"]["params"] == {"risk": row["params"]["size_expr.risk"]}
        assert holds_its_run(row, metrics), row


def test_a_fixed_size_expr_applies_to_every_combination():
    fixed = {**BODY, "size_expr": {**BODY["size_expr"], "params": {"risk": 0.01}}}
    sweep = parse_sweep_request({**fixed, "grid": {"fast": [5, 10, 20]}})
    for row in chunk_rows(sweep):
        _, metrics = alone(sweep, row)
        assert holds_its_run(row, metrics)


def test_a_grid_name_the_size_expr_lacks_is_refused_naming_it():
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BODY, "grid": {"size_expr.z": [1, 2]}})
    assert caught.value.field == "grid.size_expr.z"
