"""Tests for web/pages/format.py: number formatting, metric lists, best-of-row and
durations."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from adapters import METRIC_KEYS
from adapters.run_robustness import METRIC_KEYS as ROBUSTNESS_METRIC_KEYS
from metrics import METRICS, MetricDef
from web.pages.format import (
    HISTORY_METRICS,
    MISSING,
    SIGNED_KEYS,
    best_index,
    duration,
    format_metric,
    format_number,
    format_when,
    tone,
)

ENGINE_KEYS = ("total_return_pct", "sharpe_ratio", "max_drawdown_pct", "num_trades")


@pytest.mark.parametrize(
    ("value", "digits", "unit", "shown"),
    [
        (1234.567, 2, "%", "1,234.57%"),
        (-0.5, 1, "", "-0.5"),
        (7, 0, " d", "7 d"),
        (None, 2, "%", MISSING),
        (math.nan, 2, "", MISSING),
        (math.inf, 2, "", MISSING),
        (True, 2, "", MISSING),
    ],
)
def test_format_number_writes_undefined_values_as_a_dash(value, digits, unit, shown):
    """Finite numbers get separators and fixed decimals; anything undefined is a dash."""
    assert format_number(value, digits, unit) == shown


def test_kpis_cover_every_metric_the_platform_computes():
    """Each engine metric, enhanced metric and robustness metric (the PSR) has exactly one
    KPI card."""
    keys = [metric.key for metric in METRICS]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(ENGINE_KEYS) | set(METRIC_KEYS) | set(ROBUSTNESS_METRIC_KEYS)
    assert {metric.key for metric in HISTORY_METRICS} <= set(keys)
    assert set(SIGNED_KEYS) <= set(keys)


def test_format_metric_and_tone_read_the_metrics_dict():
    """A metric is formatted from its key; the tone follows the sign of signed metrics."""
    metrics = {"total_return_pct": -3.25, "max_drawdown_pct": 4.0}
    assert format_metric(metrics, MetricDef("total_return_pct", "Return", "%")) == "-3.25%"
    assert format_metric(None, MetricDef("sharpe_ratio", "Sharpe")) == MISSING
    assert tone(metrics, "total_return_pct") == "neg"
    assert tone({"total_return_pct": 1.0}, "total_return_pct") == "pos"
    assert tone(metrics, "max_drawdown_pct") == ""
    assert tone({"total_return_pct": None}, "total_return_pct") == ""


@pytest.mark.parametrize(
    ("values", "better", "best"),
    [
        ([1.0, None, 3.0], 1, 2),
        ([1.0, None, 3.0], -1, 0),
        ([2.0, 5.0], 0, None),
        ([None, 4.0], 1, None),
        ([math.nan, 1.0, 0.5], -1, 2),
    ],
)
def test_best_index_skips_undefined_values(values, better, best):
    """The best defined value by direction; none when fewer than two are defined."""
    assert best_index(values, better) == best


def test_durations_and_timestamps_are_human_readable():
    """Durations pick their unit; timestamps are written in UTC."""
    start = datetime(2024, 1, 1, 0, 0, 0)
    assert duration(start, datetime(2024, 1, 1, 0, 0, 1, 500000)) == "1.5 s"
    assert duration(start, datetime(2024, 1, 1, 2, 5, 0)) == "2 h 5 min"
    assert duration(start, None) == MISSING
    assert format_when(datetime(2024, 3, 4, 5, 6, 7)) == "2024-03-04 05:06:07 UTC"
    assert format_when(None) == MISSING
