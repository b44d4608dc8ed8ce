"""metrics/registry.py: the one definition of every metric agrees with what the engine and
the adapters compute, with the stored sweep columns and with the direction rankings use."""

from __future__ import annotations

from sqlalchemy import Integer

from adapters.metrics import EQUITY_METRIC_KEYS
from engine.result import CORE_METRICS
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from metrics import LOWER_IS_BETTER, METRICS, SWEEP_METRIC_KEYS, metric, metrics_json
from store.models import SweepResult


def test_every_metric_a_run_reports_is_defined_once_and_nothing_else():
    result = execute(
        parse_request(
            {
                "ticker": "ACME",
                "rule_type": "RSI",
                "start_date": "2016-01-01",
                "end_date": "2017-12-31",
                "charts": False,
            }
        )
    )
    keys = [m.key for m in METRICS]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(result.metrics)


def test_a_sweep_stores_the_engine_core_metrics_then_the_equity_curve_metrics():
    assert (*CORE_METRICS, *EQUITY_METRIC_KEYS) == SWEEP_METRIC_KEYS


def test_the_sweep_result_table_has_one_column_per_stored_metric_in_registry_order():
    columns = [c.name for c in SweepResult.__table__.columns]
    assert columns[-len(SWEEP_METRIC_KEYS) :] == list(SWEEP_METRIC_KEYS)
    for key in SWEEP_METRIC_KEYS:
        column = SweepResult.__table__.columns[key]
        assert column.nullable
        assert isinstance(column.type, Integer) == metric(key).integer


def test_drawdowns_and_volatility_are_the_metrics_where_lower_is_better():
    assert {"max_drawdown_pct", "max_drawdown_duration_days", "volatility_pct"} == LOWER_IS_BETTER


def test_the_page_data_carries_every_definition_in_display_order():
    data = metrics_json()
    assert [d["key"] for d in data] == [m.key for m in METRICS]
    assert data[0] == {
        "key": "total_return_pct",
        "label": "Total return",
        "unit": "%",
        "digits": 2,
        "better": 1,
        "integer": False,
    }
