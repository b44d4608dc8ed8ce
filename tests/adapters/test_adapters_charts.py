"""adapters.charts: PNG data URIs, deterministic bytes, no leaked figures, speed."""

from __future__ import annotations

import base64
import gc
import io
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

from adapters.benchmark import buy_and_hold
from adapters.charts import CHART_KEYS, DATA_URI_PREFIX, render_charts
from adapters.trades import trade_records
from engine import TradingParams, run
from tests.adapters.support import crossover_signals, load_goog, make_bars, signals

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BACKGROUND_RGBA = (0x0D, 0x11, 0x17, 255)


def _inputs(bars, entries, exits, params=None, overlays=None) -> tuple:
    result = run(bars, entries, exits, params or TradingParams())
    kwargs = {
        "entries": entries,
        "exits": exits,
        "records": trade_records(bars, result),
        "benchmark": buy_and_hold(bars, 100_000.0),
        "overlays": overlays,
    }
    return bars, result, kwargs


@pytest.fixture(scope="module")
def goog_inputs(goog_csv) -> tuple:
    """An SMA(10/20) crossover on GOOG's 2,148 daily bars, with both SMAs as overlays."""
    bars = load_goog(goog_csv)
    entries, exits, fast, slow = crossover_signals(bars.close)
    return _inputs(bars, entries, exits, overlays={"SMA 10": fast, "SMA 20": slow})


@pytest.fixture(scope="module")
def goog_charts(goog_inputs) -> tuple[str, dict[str, str]]:
    bars, result, kwargs = goog_inputs
    return render_charts(bars, result, **kwargs)


def _png(uri: str) -> bytes:
    assert uri.startswith(DATA_URI_PREFIX)
    return base64.b64decode(uri[len(DATA_URI_PREFIX) :], validate=True)


def _all_pngs(rendered: tuple[str, dict[str, str]]) -> dict[str, bytes]:
    chart, charts = rendered
    return {"chart_base64": _png(chart), **{key: _png(uri) for key, uri in charts.items()}}


def test_render_returns_the_equity_chart_and_exactly_the_five_named_charts(goog_charts):
    """(chart_base64, charts) with charts keyed drawdown, orders, trade PnL, returns, candles."""
    chart, charts = goog_charts
    assert isinstance(chart, str)
    assert (
        list(charts)
        == list(CHART_KEYS)
        == [
            "drawdown_curve_base64",
            "portfolio_orders_base64",
            "trade_pnl_base64",
            "cumulative_return_base64",
            "candles_base64",
        ]
    )


def test_every_chart_is_a_720_by_256_png_data_uri(goog_charts):
    """Each value decodes from base64 to a PNG (signature, IHDR 720 × 256) of a few dozen kB."""
    for key, png in _all_pngs(goog_charts).items():
        assert png.startswith(PNG_SIGNATURE), key
        assert png[12:16] == b"IHDR"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == (720, 256), key
        assert 5_000 < len(png) < 150_000, key


def test_charts_have_the_dark_background_and_distinct_content(goog_charts):
    """Corners are the #0d1117 background, and no two charts are the same image."""
    from PIL import Image

    pngs = _all_pngs(goog_charts)
    for key, png in pngs.items():
        with Image.open(io.BytesIO(png)) as image:
            assert image.convert("RGBA").getpixel((2, 2)) == BACKGROUND_RGBA, key
    assert len(set(pngs.values())) == len(pngs)


def test_two_renders_give_identical_bytes(goog_inputs, goog_charts):
    """Same input, same PNG bytes (no timestamps or software tags in the files)."""
    bars, result, kwargs = goog_inputs
    assert render_charts(bars, result, **kwargs) == goog_charts


def test_overlays_are_drawn_on_the_candles_chart_only(goog_inputs, goog_charts):
    """Dropping the overlays changes the candles chart and nothing else."""
    bars, result, kwargs = goog_inputs
    chart, charts = render_charts(bars, result, **{**kwargs, "overlays": None})
    assert chart == goog_charts[0]
    for key in CHART_KEYS:
        assert (charts[key] == goog_charts[1][key]) == (key != "candles_base64"), key


def test_an_overlay_of_the_wrong_length_is_rejected():
    """An overlay must have one value per bar."""
    bars, result, kwargs = _inputs(make_bars([1.0, 2.0, 3.0]), signals(3, []), signals(3, []))
    with pytest.raises(ValueError, match="overlay 'SMA 5' has shape \\(2,\\)"):
        render_charts(bars, result, **{**kwargs, "overlays": {"SMA 5": np.ones(2)}})


@pytest.mark.parametrize(
    "close, entries, exits, params",
    [
        ([10.0], [], [], TradingParams()),
        ([10.0, 10.0, 10.0], [], [], TradingParams()),
        ([10.0, 11.0, 12.0, 11.0], [0], [], TradingParams()),
        (
            [10.0, 11.0, 30.0, 40.0, 50.0],
            [],
            [0],
            TradingParams(size_type="percent", position_size=100, direction="longshort"),
        ),
    ],
    ids=["one-bar", "flat-no-trades", "open-trade", "bust"],
)
def test_edge_runs_render_valid_pngs_without_warnings(close, entries, exits, params):
    """One bar, a flat line, an open trade, a bankrupt short: six valid PNGs (warnings are
    errors in this suite)."""
    n = len(close)
    bars, result, kwargs = _inputs(make_bars(close), signals(n, entries), signals(n, exits), params)
    overlays = {"warm-up": np.full(n, np.nan)}
    rendered = render_charts(bars, result, **{**kwargs, "overlays": overlays})
    assert all(png.startswith(PNG_SIGNATURE) for png in _all_pngs(rendered).values())


def test_no_figure_outlives_the_render(monkeypatch):
    """Every Figure created while rendering is garbage once render_charts returns."""
    import matplotlib.figure

    created: list[weakref.ref] = []
    original_init = matplotlib.figure.Figure.__init__

    def recording_init(self, *args, **kwargs):
        created.append(weakref.ref(self))
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "__init__", recording_init)
    bars, result, kwargs = _inputs(
        make_bars([10.0, 11.0, 12.0, 11.0]), signals(4, [0]), signals(4, [2])
    )
    render_charts(bars, result, **kwargs)
    gc.collect()
    assert created, "no Figure was recorded"
    assert [ref for ref in created if ref() is not None] == []
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []
