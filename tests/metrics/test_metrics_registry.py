"""metrics/registry.py: the one definition of every metric agrees with what the engine and
the adapters compute, with the stored sweep columns and with the direction rankings use."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer

from adapters.metrics import EQUITY_METRIC_KEYS
from engine.result import CORE_METRICS
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from metrics import (
    LOWER_IS_BETTER,
    METRICS,
    SWEEP_METRIC_KEYS,
    MetricDef,
    all_metrics,
    lower_is_better,
    metric,
    metrics_json,
    register,
    sweep_metric_keys,
    unregister,
)
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


@pytest.mark.parametrize(
    ("key", "function"),
    [
        ("sharpe_ratio", "m:f"),  # a built-in metric's
        ("ticker", "m:f"),  # a stored result's column
        ("Bad-Key", "m:f"),
        ("fresh_metric", ""),  # nothing computes it
    ],
)
def test_registering_a_taken_or_malformed_key_or_one_without_a_function_is_refused(key, function):
    before = all_metrics()
    with pytest.raises(ValueError):
        register(MetricDef(key, key, function=function))
    assert all_metrics() == before


def test_a_registered_metric_joins_every_reader_until_unregistered():
    definition = MetricDef("fresh_metric", "Fresh", better=-1, function="m:f")
    register(definition)
    try:
        assert all_metrics()[-1] == definition == metric("fresh_metric")
        assert sweep_metric_keys() == (*SWEEP_METRIC_KEYS, "fresh_metric")
        assert lower_is_better("fresh_metric") and "fresh_metric" not in LOWER_IS_BETTER
        assert metrics_json()[-1]["key"] == "fresh_metric"
        assert "function" not in metrics_json()[-1]
    finally:
        unregister("fresh_metric")
    assert sweep_metric_keys() == SWEEP_METRIC_KEYS and not lower_is_better("fresh_metric")


def test_every_built_in_metric_has_a_note_saying_how_peers_differ():
    """The run page's hover notes and docs/execution.md's comparison table come from
    ``metrics.notes``: one note per built-in metric, none for a key that is no metric, and
    each names backtesting.py or says no peer reports it."""
    from metrics import NOTES

    assert list(NOTES) == [m.key for m in METRICS]
    for key, text in NOTES.items():
        assert "backtesting.py" in text or "No peer" in text, key


def test_docs_execution_tabulates_every_note():
    """docs/execution.md's comparison table holds each metric's note, word for word."""
    from pathlib import Path

    from metrics import NOTES, metric

    text = (Path(__file__).resolve().parents[2] / "docs" / "execution.md").read_text()
    for key, said in NOTES.items():
        assert f"| `{key}` | {metric(key).label} | {said} |" in text, key


def test_report_depth_metrics_are_rows_no_run_or_sweep_computes():
    """A report-scope row (``MetricDef.scope``) is in ``report_metrics`` and the page JSON of
    those, never in what a run stores or a sweep computes per combination; a registered one
    joins the report, not the sweep, and ``metrics_json`` keeps its keys."""
    from metrics import REPORT_METRICS, REPORT_NOTES, curve_functions, report_metrics

    keys = [m.key for m in REPORT_METRICS]
    assert list(REPORT_NOTES) == keys and len(keys) == len(set(keys)) == 19
    assert all(m.scope == "report" and m.function for m in REPORT_METRICS)
    assert not set(keys) & {m.key for m in (*METRICS, *curve_functions())}
    assert not set(keys) & set(sweep_metric_keys())
    assert lower_is_better("ulcer_index_pct") and not lower_is_better("omega_ratio")
    register(MetricDef("deep_metric", "Deep", function="adapters.tearsheet:sqn", scope="report"))
    try:
        assert report_metrics()[-1].key == "deep_metric"
        assert "deep_metric" not in sweep_metric_keys()
        assert "deep_metric" not in [m["key"] for m in metrics_json()]
        assert set(metrics_json(report_metrics())[0]) == set(metrics_json()[0])
    finally:
        unregister("deep_metric")
    with pytest.raises(ValueError):
        register(MetricDef("deep_metric", "Deep", function="a:b", scope="combo"))
    with pytest.raises(ValueError):
        register(MetricDef("omega_ratio", "Omega", function="a:b"))


def test_docs_execution_tabulates_every_report_note():
    """docs/execution.md's report-metric table holds each note, word for word."""
    from pathlib import Path

    from metrics import REPORT_NOTES, metric

    text = (Path(__file__).resolve().parents[2] / "docs" / "execution.md").read_text()
    for key, said in REPORT_NOTES.items():
        assert f"| `{key}` | {metric(key).label} | {said} |" in text, key
