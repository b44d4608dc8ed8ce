"""Tests for web/present.py (timestamps, presets) and kinds/runs/view.py (run summaries,
the spliced /status document) as the API shows them (plain rows, no database)."""

from __future__ import annotations

import json
from datetime import datetime

from adapters.metrics import FEW_TRADES
from kinds.runs.view import run_status, run_status_json, run_summary
from store.models import BacktestRun, StrategyPreset
from web.present import iso_utc, json_or_none, preset
from work.status import RunStatus

CREATED = datetime(2024, 3, 1, 12, 30, 15, 250000)


def make_row(**fields) -> BacktestRun:
    values = {
        "run_id": "0b6f3f0e-58a4-4c8e-9d43-1f0f2b1c9a11",
        "ticker": "ACME",
        "rule_type": "RSI",
        "rule_id": "rsi-14-30-70",
        "params_json": '{"period": 14, "oversold": 30.0, "overbought": 70.0}',
        "request_json": '{"run_id": "0b6f3f0e-58a4-4c8e-9d43-1f0f2b1c9a11", "ticker": "ACME"}',
        "status": RunStatus.PENDING,
        "error_message": None,
        "metrics_json": None,
        "result_json": None,
        "data_hash": None,
        "engine_version": None,
        "image_tag": "v1",
        "attempts": 0,
        "created_at": CREATED,
        "started_at": None,
        "completed_at": None,
    }
    values.update(fields)
    return BacktestRun(**values)


def test_iso_utc_marks_naive_utc_with_offset():
    """Naive UTC datetimes are written ISO-8601 with +00:00, microseconds kept."""
    assert iso_utc(CREATED) == "2024-03-01T12:30:15.250000+00:00"
    assert iso_utc(datetime(2024, 1, 2)) == "2024-01-02T00:00:00+00:00"
    assert iso_utc(None) is None


def test_run_summary_decodes_params_and_metrics():
    """A summary carries params and metrics as objects, the request's window, sizing and
    direction (absent ones null), the labels (an older row: none, not pinned) and never the
    request or result."""
    row = make_row(status=RunStatus.SUCCEEDED, metrics_json='{"num_trades": 3}', attempts=1)
    summary = run_summary(row)
    assert summary == {
        "run_id": row.run_id,
        "status": "SUCCEEDED",
        "ticker": "ACME",
        "rule_type": "RSI",
        "rule_id": "rsi-14-30-70",
        "params": {"period": 14, "oversold": 30.0, "overbought": 70.0},
        "metrics": {"num_trades": 3},
        "attempts": 1,
        "created_at": "2024-03-01T12:30:15.250000+00:00",
        "started_at": None,
        "completed_at": None,
        "error_message": None,
        "created_by": None,
        "start_date": None,
        "end_date": None,
        "position_size": None,
        "size_type": None,
        "direction": None,
        "name": None,
        "tags": [],
        "notes": None,
        "pinned": False,
        "shared": False,
        "cached": False,
        "cached_from": None,
    }


def test_run_summary_shows_labels_and_the_requests_setup():
    request = {"start_date": "2020-01-01", "end_date": "2020-12-31", "position_size": 50.0,
               "size_type": "percent", "direction": "longshort"}  # fmt: skip
    row = make_row(
        request_json=json.dumps(request), name="n", tags='["a", "b"]', notes="x", pinned=True
    )
    summary = run_summary(row)
    assert {key: summary[key] for key in request} == request
    assert (summary["name"], summary["tags"], summary["notes"], summary["pinned"]) == (
        "n",
        ["a", "b"],
        "x",
        True,
    )


def test_run_status_json_splices_the_stored_result_text_verbatim():
    """The stored result text appears byte for byte as the last key of a valid document."""
    stored = '{"z_last":[1.50,  2],"a_first":{"nested":"\\u00e9"}}'
    row = make_row(status=RunStatus.SUCCEEDED, result_json=stored, metrics_json="{}")
    text = run_status_json(row)
    assert text.endswith(',"result":' + stored + "}")
    document = json.loads(text)
    assert list(document)[-1] == "result"
    assert document["result"] == {"z_last": [1.5, 2], "a_first": {"nested": "\u00e9"}}
    assert {k: v for k, v in document.items() if k != "result"} == run_status(row)


def test_run_status_json_has_null_result_unless_succeeded():
    """Only a SUCCEEDED run shows its result; other states show null even if text exists."""
    for status in (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.FAILED):
        row = make_row(status=status, result_json='{"stale": true}')
        assert json.loads(run_status_json(row))["result"] is None
    assert json.loads(run_status_json(make_row(status=RunStatus.SUCCEEDED)))["result"] is None


def test_run_status_keeps_request_as_an_object():
    """The request is decoded from its stored JSON text."""
    assert run_status(make_row())["request"] == {
        "run_id": "0b6f3f0e-58a4-4c8e-9d43-1f0f2b1c9a11",
        "ticker": "ACME",
    }


def test_a_run_with_few_trades_carries_the_few_trades_warning():
    """``warnings`` names ``few_trades`` below FEW_TRADES trades, and nothing from
    FEW_TRADES on or before the run has metrics."""
    few = make_row(status=RunStatus.SUCCEEDED, metrics_json=json.dumps({"num_trades": 2}))
    [warning] = run_status(few)["warnings"]
    assert warning["code"] == "few_trades" and "2 trades" in warning["message"]
    enough = {"num_trades": FEW_TRADES}
    assert run_status(make_row(metrics_json=json.dumps(enough)))["warnings"] == []
    assert run_status(make_row())["warnings"] == []


def test_preset_decodes_payload_and_keeps_name_verbatim():
    """A preset's name comes back unescaped and its payload as an object."""
    row = StrategyPreset(
        id=7, name="<script>alert(1)</script>", payload_json='{"fast": 5}', created_at=CREATED
    )
    assert preset(row) == {
        "id": 7,
        "name": "<script>alert(1)</script>",
        "payload": {"fast": 5},
        "created_at": "2024-03-01T12:30:15.250000+00:00",
        "created_by": None,
        "shared": False,
        "kind": "run",
    }


def test_json_or_none_decodes_a_column_and_keeps_null():
    """A stored JSON text is decoded; SQL NULL stays None."""
    assert json_or_none('{"a": [1, 2]}') == {"a": [1, 2]}
    assert json_or_none(None) is None
