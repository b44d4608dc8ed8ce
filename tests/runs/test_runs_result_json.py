"""A run's result JSON written from its columns (``kinds.runs.serialize.to_json``: orjson on
the arrays and records, ``adapters.json_text``) is the text the plain document gives
``json.dumps``, the writer results were stored with before, on random runs: one bar to a
few hundred, prices from 1e-7 (tiny floats everywhere) to 1e17 (exponent forms), long and
short, stops and costs, curves whole or thinned, no trade at all."""

from __future__ import annotations

import json
import os

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Bars
from engine import run as run_engine
from kinds.runs.contract import parse_request
from kinds.runs.execute import assemble
from kinds.runs.serialize import to_json

SCALES = [1e-7, 3e-4, 1.0, 57.3, 1e5, 1e15, 1e17]


def _old(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"), allow_nan=False)


@st.composite
def runs(draw):
    n = draw(st.integers(1, 240))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from(SCALES))
    close = scale * np.exp(np.cumsum(rng.normal(0.0, draw(st.sampled_from([0.0, 1e-3, 0.05])), n)))
    close = np.round(close, draw(st.sampled_from([2, 6, 12]))) if scale >= 1 else close
    close[close <= 0] = scale
    spread = np.abs(rng.normal(0.0, 0.01, n)) * close
    stamps = np.datetime64("2015-01-02T14:30", "s") + np.arange(n) * np.timedelta64(
        draw(st.sampled_from([60, 86_400])), "s"
    )
    bars = Bars(stamps, close, close + spread, close - spread, close, rng.integers(0, 10**6, n))
    density = draw(st.sampled_from([0.0, 0.05, 0.3]))
    entries, exits = rng.random(n) < density, rng.random(n) < density
    body = {
        "ticker": "ANY",
        "rule_type": "SMA_CROSS",
        "start_date": "2015-01-01",
        "end_date": "2030-01-01",
        "timeframe": "1m",
        "charts": False,
        "direction": draw(st.sampled_from(["longonly", "longshort"])),
        "initial_capital": draw(st.sampled_from([1e-3, 1000.0, 100_000.0, 1e18])),
        "fee_rate": draw(st.sampled_from([0.0, 0.001])),
    }
    if draw(st.booleans()):
        body |= {"stop_loss_pct": 2, "take_profit_pct": 5, "fee_fixed": 1, "borrow_rate": 0.03}
    points = draw(st.sampled_from([None, 2, 7, 50]))
    return parse_request(body), bars, entries, exits, points


@settings(max_examples=120, deadline=None)
@given(runs())
def test_a_random_runs_json_is_json_dumps_of_its_plain_document(run):
    request, bars, entries, exits, points = run
    result = run_engine(bars, entries, exits, request.trading_params(252.0))
    before = os.environ.get("RUN_CURVE_POINTS")
    os.environ["RUN_CURVE_POINTS"] = str(points or 20_000)
    try:
        out = assemble(request, bars, result, entries, exits, "hash")
    finally:
        if before is None:
            del os.environ["RUN_CURVE_POINTS"]
        else:
            os.environ["RUN_CURVE_POINTS"] = before
    try:
        expected = _old(out.to_dict())
    except ValueError:  # a NaN the plain document refuses: so must the columns' writer
        try:
            to_json(out)
        except ValueError:
            return
        raise AssertionError("to_json wrote a document json.dumps refuses") from None
    assert to_json(out) == expected
