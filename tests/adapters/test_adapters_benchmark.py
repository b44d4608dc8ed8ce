"""adapters.benchmark: buy-and-hold equity and return."""

from __future__ import annotations

import json

import pytest

from adapters.benchmark import buy_and_hold
from tests.adapters.support import make_bars


def test_buy_and_hold_scales_the_capital_by_close_over_first_close():
    """Closes 50, 55, 45, 60 with 1,000: equity 1000, 1100, 900, 1200 and +20%."""
    bars = make_bars([50.0, 55.0, 45.0, 60.0])
    bench = buy_and_hold(bars, 1000.0)
    assert list(bench) == ["timestamps", "equity", "return_pct"]
    assert bench["timestamps"][-1] == "2024-01-04T21:00:00+00:00"
    assert bench["equity"] == pytest.approx([1000.0, 1100.0, 900.0, 1200.0], rel=1e-12)
    assert bench["return_pct"] == pytest.approx(20.0, rel=1e-12)


def test_buy_and_hold_ignores_opens_and_fees():
    """Only closes matter: different opens give the same benchmark."""
    a = buy_and_hold(make_bars([10.0, 8.0], open_=[1.0, 2.0]), 500.0)
    b = buy_and_hold(make_bars([10.0, 8.0], open_=[9.0, 9.0]), 500.0)
    assert a == b
    assert a["return_pct"] == pytest.approx(-20.0)


def test_buy_and_hold_is_plain_json():
    """Floats only, no NaN: json.dumps(allow_nan=False) round-trips it."""
    bench = buy_and_hold(make_bars([3.0, 4.0, 5.0]), 100_000)
    assert type(bench["return_pct"]) is float
    assert json.loads(json.dumps(bench, allow_nan=False)) == bench
