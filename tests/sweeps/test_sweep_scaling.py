"""A sweep that scales in and out (docs/execution.md, "Scaling in and out"): its points are
walked as their runs are (never the one-pass kernel), so every stored combination equals
the same run alone, swept stops included; a take_profit_fraction needs a take-profit at
every point."""

from __future__ import annotations

import pytest

from engine.param_specs import TAKE_PROFIT_FRACTION_ALONE
from kinds.runs.contract import RequestError, parse_request
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
}


@pytest.mark.parametrize(
    "scaling",
    [{"max_entries": 3}, {"exit_fraction": 0.5}, {"max_entries": 4, "exit_fraction": 0.3}],
)
def test_each_swept_point_equals_its_run_alone(scaling):
    sweep = parse_sweep_request({**BODY, **scaling, "grid": {"fast": [3, 5, 10, 20]}})
    assert sweep.base.trading_params().scales
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 4
    for row in rows:
        body, metrics = alone(sweep, row)
        assert {name: body[name] for name in scaling} == scaling
        assert holds_its_run(row, metrics), row


def test_a_scaled_point_differs_from_the_same_point_without_scaling():
    rows = {}
    for extra in ({}, {"max_entries": 3, "exit_fraction": 0.5}):
        sweep = parse_sweep_request({**BODY, **extra, "grid": {"fast": [5]}})
        (rows[bool(extra)],) = chunk_rows(sweep)
    assert rows[True]["num_trades"] != rows[False]["num_trades"]


def test_a_swept_stop_with_scaling_equals_its_run_alone():
    """Stops swept beside a rule parameter, with units and partial closes: each point's
    units are stopped as its run's are."""
    grid = {"fast": [5, 10], "stop_loss_pct": [None, 3], "trailing_stop_pct": [None, 4]}
    body = {**BODY, "max_entries": 3, "exit_fraction": 0.5, "take_profit_pct": 8, "grid": grid}
    sweep = parse_sweep_request(body)
    rows = chunk_rows(sweep)
    assert len(rows) == 8
    assert len({row["total_return_pct"] for row in rows}) > 4
    for row in rows:
        body, metrics = alone(sweep, row)
        assert (body["max_entries"], body["exit_fraction"]) == (3, 0.5)
        assert holds_its_run(row, metrics), row


def test_a_sweep_large_enough_for_the_one_pass_kernel_still_walks_a_scaling_request():
    """The gate that sends a big sweep to the compiled one-pass evaluation (which knows
    one position at a time) says no for a request that scales, yes for the same without."""
    from kinds.runs.execute import load_market_data, market_window
    from kinds.sweeps.evaluate import _one_pass

    request = parse_request({**BODY, "max_entries": 2})
    frame = market_window(load_market_data(request))
    huge = 10**12
    assert not _one_pass(frame, request.trading_params(), huge)
    assert _one_pass(frame, parse_request(BODY).trading_params(), huge)


def test_a_partial_take_profit_beside_a_swept_take_profit_equals_its_run_alone():
    """take_profit_fraction 0.5 with take_profit_pct swept: the base is checked with the
    first point's take-profit and every point equals its run alone."""
    grid = {"fast": [5, 10], "take_profit_pct": [4, 8]}
    sweep = parse_sweep_request({**BODY, "take_profit_fraction": 0.5, "grid": grid})
    assert sweep.base.take_profit_fraction == 0.5
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 4
    for row in rows:
        body, metrics = alone(sweep, row)
        assert body["take_profit_fraction"] == 0.5
        assert holds_its_run(row, metrics), row


def test_a_partial_take_profit_beside_a_swept_take_profit_that_may_be_off_is_refused():
    grid = {"take_profit_pct": [5, None]}
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BODY, "take_profit_fraction": 0.5, "grid": grid})
    assert (caught.value.field, caught.value.message) == (
        "take_profit_fraction",
        TAKE_PROFIT_FRACTION_ALONE,
    )


def test_a_swept_size_expression_with_units_equals_its_run_alone():
    """Units sized by a fraction of equity whose $part is swept: each point as its run."""
    size = {"expr": "$part", "unit": "fraction"}
    grid = {"fast": [5, 10], "size_expr.part": [0.2, 0.4]}
    sweep = parse_sweep_request({**BODY, "max_entries": 3, "size_expr": size, "grid": grid})
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 4
    for row in rows:
        body, metrics = alone(sweep, row)
        assert body["max_entries"] == 3
        assert holds_its_run(row, metrics), row


def test_a_swept_position_exit_on_units_equals_its_run_alone():
    """A time exit whose $n is swept, on a long pyramided on crossings: each point as its
    run alone."""
    params = {"entry": "crossover(close, sma(close, 5))", "exit": "bars_held >= $n"}
    body = {**BODY, "rule_type": "EXPR", "params": params, "max_entries": 3}
    sweep = parse_sweep_request({**body, "exit_fraction": 0.5, "grid": {"n": [3, 6, 12]}})
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 3
    for row in rows:
        _, metrics = alone(sweep, row)
        assert holds_its_run(row, metrics), row


@pytest.mark.parametrize("kind", ["limit", "market_if_touched"])
def test_a_swept_entry_order_on_units_equals_its_run_alone(kind):
    order = {"type": kind, "limit": "close * (1 - $k / 100)", "valid_bars": 2}
    body = {**BODY, "max_entries": 3, "entry_order": order}
    sweep = parse_sweep_request({**body, "grid": {"fast": [5, 10], "entry_order.k": [0.5, 2]}})
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 4
    for row in rows:
        _, metrics = alone(sweep, row)
        assert holds_its_run(row, metrics), row


def test_a_longshort_sweep_with_units_and_a_borrow_fee_equals_its_runs_alone():
    body = {**BODY, "direction": "longshort", "max_entries": 3, "borrow_rate": 0.05}
    sweep = parse_sweep_request({**body, "grid": {"fast": [5, 10], "stop_loss_pct": [None, 4]}})
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 4
    for row in rows:
        _, metrics = alone(sweep, row)
        assert holds_its_run(row, metrics), row


def test_a_grid_over_max_entries_and_exit_fraction_holds_each_run_alone():
    """How many units and how much each exit takes off, swept: every point carries its
    values into its run request and equals that run alone, byte for byte."""
    grid = {"fast": [5, 10], "max_entries": "1:3:1", "exit_fraction": [0.5, 1]}
    sweep = parse_sweep_request({**BODY, "grid": grid})
    assert sweep.grid.names == ("fast", "max_entries", "exit_fraction")
    rows = chunk_rows(sweep)
    assert len(rows) == 12
    assert len({row["total_return_pct"] for row in rows}) >= 6
    for row in rows:
        body, metrics = alone(sweep, row)
        swept = (row["params"]["max_entries"], row["params"]["exit_fraction"])
        assert (body["max_entries"], body["exit_fraction"]) == swept
        assert holds_its_run(row, metrics), row


@pytest.mark.parametrize(
    "fixed, grid",
    [
        ({"take_profit_pct": 5}, {"take_profit_fraction": [0.25, 0.5, 1]}),
        ({}, {"take_profit_pct": [4, 8], "take_profit_fraction": [0.5, 1]}),
    ],
)
def test_a_grid_over_take_profit_fraction_with_a_take_profit_holds_each_run_alone(fixed, grid):
    body = {**BODY, **fixed, "max_entries": 3, "grid": {"fast": [5, 10], **grid}}
    sweep = parse_sweep_request(body)
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == len(rows)
    for row in rows:
        run_body, metrics = alone(sweep, row)
        assert run_body["take_profit_fraction"] == row["params"]["take_profit_fraction"]
        assert holds_its_run(row, metrics), row


@pytest.mark.parametrize(
    "grid, field, words",
    [
        ({"max_entries": [0]}, "max_entries", "whole number from 1 to 100"),
        ({"max_entries": [2, 101]}, "max_entries", "whole number from 1 to 100"),
        ({"max_entries": [1.5]}, "max_entries", "integers"),
        ({"max_entries": "1:3:0.5"}, "max_entries", "integers"),
        ({"max_entries": [None]}, "max_entries", "numbers"),
        ({"exit_fraction": [0]}, "exit_fraction", "greater than 0 and at most 1"),
        ({"exit_fraction": [0.5, 1.5]}, "exit_fraction", "greater than 0 and at most 1"),
        ({"take_profit_fraction": "0:1:0.5"}, "take_profit_fraction", "greater than 0"),
    ],
)
def test_a_scaling_grid_value_outside_the_engines_domain_is_refused_naming_it(grid, field, words):
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BODY, "take_profit_pct": 5, "grid": {"fast": [5], **grid}})
    assert caught.value.field == f"grid.{field}"
    assert words in caught.value.message


@pytest.mark.parametrize(
    "fixed, grid",
    [
        ({}, {"take_profit_fraction": [1, 0.5]}),
        ({}, {"take_profit_pct": [None, 5], "take_profit_fraction": [0.5]}),
    ],
)
def test_a_swept_take_profit_fraction_at_a_point_without_a_take_profit_is_refused(fixed, grid):
    """The same refusal a run gets, on the grid entry."""
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BODY, **fixed, "grid": grid})
    assert caught.value.field == "grid.take_profit_fraction"
    assert caught.value.message.endswith(TAKE_PROFIT_FRACTION_ALONE)


def test_a_swept_take_profit_fraction_of_one_needs_no_take_profit():
    sweep = parse_sweep_request({**BODY, "grid": {"take_profit_fraction": [1], "fast": [5]}})
    assert sweep.base.take_profit_fraction == 1 and sweep.base.take_profit_pct is None
