"""kinds.sweeps.view: lines and heatmaps of a metric over swept dimensions, others fixed or
aggregated, each cell naming its best combination."""

from __future__ import annotations

import pytest

from kinds.runs.contract import RequestError
from kinds.sweeps.view import aggregate, dimensions, parse_fixed

STORED = {"grid": {"fast": [5, 10], "slow": [20, 30, 40]}, "tickers": ["ACME", "GLOBEX"]}
DIMS = dimensions(STORED)


def _rows():
    """combo_no, ticker, params, value = fast + slow / 10 (+100 on GLOBEX); one undefined."""
    rows, number = [], 0
    for ticker in STORED["tickers"]:
        for fast in (5, 10):
            for slow in (20, 30, 40):
                value = fast + slow / 10 + (100 if ticker == "GLOBEX" else 0)
                if (ticker, fast, slow) == ("ACME", 10, 40):
                    value = None
                rows.append((number, ticker, {"fast": fast, "slow": slow}, value))
                number += 1
    return rows


def test_dimensions_are_the_grid_then_ticker_when_several():
    """Two tickers add a ticker dimension; one does not."""
    assert DIMS == {"fast": [5, 10], "slow": [20, 30, 40], "ticker": ["ACME", "GLOBEX"]}
    assert "ticker" not in dimensions({**STORED, "tickers": ["ACME"]})


def test_a_heatmap_takes_the_max_over_the_other_dimension_and_names_the_best():
    """Max over tickers: every cell is the GLOBEX value, whose combo is the best."""
    view = aggregate(DIMS, _rows(), metric="total_return_pct", x="fast", y="slow", agg="max")
    assert view["z"] == [[107.0, 112.0], [108.0, 113.0], [109.0, 114.0]]
    assert view["best"] == [[6, 9], [7, 10], [8, 11]]
    assert view["count"] == [[2, 2], [2, 2], [2, 1]]


def test_a_fixed_dimension_keeps_only_its_value_and_mean_skips_undefined():
    """ticker fixed at ACME: the undefined cell is None; mean over slow on a line."""
    fixed = parse_fixed(DIMS, {"ticker": "acme"})
    view = aggregate(DIMS, _rows(), metric="sharpe_ratio", x="fast", y="slow", fixed=fixed)
    assert view["z"][2] == [9.0, None] and view["best"][2] == [2, None]
    line = aggregate(DIMS, _rows(), metric="sharpe_ratio", x="fast", agg="mean", fixed=fixed)
    assert line["y"] is None and line["z"] == [8.0, 12.5]


def test_lower_is_better_metrics_name_the_smallest_as_best():
    """max_drawdown_pct: the best combo of a cell is the smallest value."""
    view = aggregate(DIMS, _rows(), metric="max_drawdown_pct", x="ticker", agg="min")
    assert view["z"] == [7.0, 107.0] and view["best"] == [0, 6]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"x": "fats"}, "x"),
        ({"x": "fast", "y": "fast"}, "y"),
        ({"x": "fast", "agg": "median"}, "agg"),
    ],
)
def test_bad_axes_or_aggregates_are_refused(kwargs, field):
    """An unknown axis, equal axes or an unknown aggregate name the query parameter."""
    with pytest.raises(RequestError) as caught:
        aggregate(DIMS, _rows(), metric="sharpe_ratio", **kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("raw", "field"),
    [({"fats": "5"}, "fix.fats"), ({"fast": "7"}, "fix.fast"), ({"fast": "x"}, "fix.fast")],
)
def test_a_fixed_value_must_be_one_of_the_swept_values(raw, field):
    """fix.<dim> must name a dimension and one of its values."""
    with pytest.raises(RequestError) as caught:
        parse_fixed(DIMS, raw)
    assert caught.value.field == field


def test_a_swept_stop_that_is_off_can_be_fixed_as_null():
    """grid.stop_loss_pct [null, 2]: "null" fixes the dimension at off (None)."""
    from kinds.sweeps.view import parse_fixed

    dims = {"fast": [5, 10], "stop_loss_pct": [None, 2.0]}
    assert parse_fixed(dims, {"stop_loss_pct": "null"}) == {"stop_loss_pct": None}
    assert parse_fixed(dims, {"stop_loss_pct": "2"}) == {"stop_loss_pct": 2.0}
