"""Sweeping the liquidity fields (docs/execution.md, "Liquidity") as the scaling fields
are: every point walks the broker's step (never the one-pass kernel) and equals its run
alone; a bad grid value is a 400 naming its grid entry."""

from __future__ import annotations

import pytest

from kinds.runs.contract import RequestError, parse_request
from kinds.sweeps.contract import parse_sweep_request
from tests.sweeps.support import alone, chunk_rows, holds_its_run
from tests.sweeps.test_sweep_scaling import BODY as SCALING_BODY

BODY = {**SCALING_BODY, "initial_capital": 1e9, "size_type": "percent", "position_size": 100}
"""The scaling sweeps' request, all-in with a billion: large enough for the volume to bind."""


def test_each_point_of_a_swept_volume_limit_and_impact_equals_its_run_alone():
    grid = {"fast": [5, 10], "volume_limit": [None, 0.001, 0.01], "impact_k": [0.5, 2]}
    sweep = parse_sweep_request({**BODY, "slippage_model": "square_root", "grid": grid})
    rows = chunk_rows(sweep)
    assert len(rows) == 12
    assert len({row["total_return_pct"] for row in rows}) == 12
    for row in rows:
        body, metrics = alone(sweep, row)
        assert body["slippage_model"] == "square_root"
        assert holds_its_run(row, metrics), row


def test_a_sweep_large_enough_for_the_one_pass_kernel_still_walks_a_liquid_request():
    from kinds.runs.execute import load_market_data, market_window
    from kinds.sweeps.evaluate import _one_pass

    request = parse_request({**BODY, "spread_bps": 5})
    frame = market_window(load_market_data(request))
    assert not _one_pass(frame, request.trading_params(), 10**12)
    assert _one_pass(frame, parse_request(BODY).trading_params(), 10**12)


@pytest.mark.parametrize(
    ("grid", "field"),
    [
        ({"volume_limit": [0]}, "grid.volume_limit"),
        ({"volume_limit": [2]}, "grid.volume_limit"),
        ({"price_impact": [None]}, "grid.price_impact"),
        ({"impact_window": [2.5]}, "grid.impact_window"),
        ({"spread_bps": [-1]}, "grid.spread_bps"),
    ],
)
def test_a_bad_swept_liquidity_value_is_a_400_naming_its_grid_entry(grid, field):
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BODY, "grid": {"fast": [5], **grid}})
    assert caught.value.field == field
