"""The rules' ``panels`` hook (rules/library/*, rules.spec.Panel): on a hand-made series,
each panel's values are those of the rule's own indicator functions, with the rule's
thresholds as levels; a COMPOSITE shows its sub-rules' panels once each."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from rules import RULES, directional, macd, roc, rsi, sma, zscore
from rules.indicators import atr
from rules.spec import PANEL_KINDS, Panel
from tests.bars import daily_bars

N = 80


def _bars() -> Bars:
    """A wavy up-trend with a rising volume: every indicator here is defined after warm-up."""
    t = np.arange(N, dtype=float)
    close = 100 + 0.3 * t + 5 * np.sin(t / 4)
    high, low = close + 1 + 0.5 * np.cos(t / 3), close - 1 - 0.5 * np.sin(t / 5)
    volume = 1000 + 10 * t + 300 * (t % 7 == 0)
    return daily_bars(close, open_=close - 0.2, high=high, low=low, volume=volume)


BARS = _bars()


def _panels(rule_type: str, **params) -> list[Panel]:
    spec = RULES[rule_type]
    return spec.panels(BARS, {**spec.defaults(), **params})


def _same(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_rsi_panel_is_the_rules_rsi_with_its_two_levels_on_a_0_100_scale():
    """RSI(9) with oversold 25 / overbought 80: the levels, a fixed 0–100 axis, one line."""
    (panel,) = _panels("RSI", period=9, oversold=25.0, overbought=80.0)
    assert (panel.key, panel.name, panel.unit) == ("rsi", "RSI(9)", "")
    _same(panel.series["RSI"], rsi(BARS.close, 9))
    assert panel.levels == (25.0, 80.0)
    assert panel.bounds == (0, 100)
    assert panel.kind("RSI") == "line"


def test_macd_panel_has_line_signal_and_histogram_drawn_as_bars():
    """MACD(5,13,4): the three arrays of ``macd``; only the histogram is bars."""
    (panel,) = _panels("MACD", fast=5, slow=13, signal=4)
    line, signal, hist = macd(BARS.close, 5, 13, 4)
    assert (panel.key, panel.name, panel.unit) == ("macd", "MACD(5,13,4)", "price")
    _same(panel.series["MACD"], line)
    _same(panel.series["signal"], signal)
    _same(panel.series["histogram"], hist)
    assert [panel.kind(label) for label in panel.series] == ["line", "line", "histogram"]
    assert panel.levels == () and panel.bounds is None


def test_rsi_macd_shows_rsi_with_its_entry_and_exit_levels_then_macd():
    """RSI_MACD: the RSI panel's levels are rsi_below and overbought; MACD follows."""
    rsi_panel, macd_panel = _panels("RSI_MACD", rsi_period=7, rsi_below=45.0, overbought=65.0)
    _same(rsi_panel.series["RSI"], rsi(BARS.close, 7))
    assert rsi_panel.levels == (45.0, 65.0)
    assert macd_panel.name == "MACD(12,26,9)"


def test_trend_panel_is_adx_and_both_directional_lines_with_the_threshold():
    """TREND(period 6, threshold 20): ADX, +DI, −DI as ``directional`` computes them."""
    (panel,) = _panels("TREND", period=6, adx_threshold=20.0)
    plus_di, minus_di, adx = directional(BARS.high, BARS.low, BARS.close, 6)
    assert (panel.key, panel.name) == ("adx", "ADX(6)")
    _same(panel.series["ADX"], adx)
    _same(panel.series["+DI"], plus_di)
    _same(panel.series["−DI"], minus_di)
    assert panel.levels == (20.0,) and panel.bounds == (0, 100)


def test_atr_panel_is_the_average_true_range_in_price_units():
    (panel,) = _panels("ATR", period=5)
    assert (panel.key, panel.name, panel.unit) == ("atr", "ATR(5)", "price")
    _same(panel.series["ATR"], atr(BARS.high, BARS.low, BARS.close, 5))


def test_volume_panel_is_volume_bars_and_the_spike_threshold_line():
    """VOLUME(volume_period 10, factor 1.5): the threshold is 1.5 × SMA(volume, 10)."""
    (panel,) = _panels("VOLUME", volume_period=10, volume_factor=1.5)
    assert (panel.key, panel.unit) == ("volume", "shares")
    _same(panel.series["volume"], BARS.volume)
    _same(panel.series["1.5 × SMA(10)"], 1.5 * sma(BARS.volume, 10))
    assert panel.kind("volume") == "histogram" and panel.kind("1.5 × SMA(10)") == "line"


def test_momentum_panel_is_roc_percent_with_both_thresholds_once_each():
    """Distinct thresholds give two levels (exit first); equal ones give one."""
    (panel,) = _panels("MOMENTUM", period=5, entry_threshold=2.0, exit_threshold=-1.0)
    assert (panel.name, panel.unit) == ("ROC(5)", "%")
    _same(panel.series["ROC"], roc(BARS.close, 5))
    assert panel.levels == (-1.0, 2.0)
    (same,) = _panels("MOMENTUM", entry_threshold=0.0, exit_threshold=0.0)
    assert same.levels == (0.0,)


def test_mean_reversion_panel_is_the_zscore_with_entry_and_exit_levels():
    (panel,) = _panels("MEAN_REVERSION", period=12, entry_z=-1.5, exit_z=0.5)
    assert (panel.key, panel.name, panel.unit) == ("zscore", "z-score(12)", "σ")
    _same(panel.series["z"], zscore(BARS.close, 12))
    assert panel.levels == (-1.5, 0.5)


@pytest.mark.parametrize("rule_type", ["SMA_CROSS", "BOLLINGER", "BREAKOUT"])
def test_rules_drawn_on_the_price_scale_have_no_panel(rule_type):
    """Their lines are overlays on the candles (``overlays``), not panels."""
    assert RULES[rule_type].panels is None
    assert RULES[rule_type].overlays is not None


def test_composite_shows_each_sub_rules_panels_in_order_and_equal_ones_once():
    """RSI(9), TREND, RSI(9) again with other levels: RSI(9) once (the first's levels)."""
    params = {
        "operator": "OR",
        "rules": [
            {"rule_type": "RSI", "params": {**RULES["RSI"].defaults(), "period": 9}},
            {"rule_type": "TREND", "params": RULES["TREND"].defaults()},
            {
                "rule_type": "RSI",
                "params": {"period": 9, "oversold": 10.0, "overbought": 90.0},
            },
            {"rule_type": "SMA_CROSS", "params": RULES["SMA_CROSS"].defaults()},
        ],
    }
    panels = RULES["COMPOSITE"].panels(BARS, params)
    assert [p.name for p in panels] == ["RSI(9)", "ADX(14)"]
    assert panels[0].levels == (30.0, 70.0)
    _same(panels[0].series["RSI"], rsi(BARS.close, 9))


def test_every_panel_series_has_one_value_per_bar_and_a_known_kind():
    """Every rule at its defaults: series of length T, kinds among PANEL_KINDS."""
    for rule_type, spec in RULES.items():
        for panel in spec.panels(BARS, spec.defaults()) if spec.panels else []:
            for label, values in panel.series.items():
                assert np.asarray(values).shape == (N,), (rule_type, label)
                assert panel.kind(label) in PANEL_KINDS
