"""Tests for scripts/bulk_state.py: canonical request keys and the append-only journal
that makes bulk submission resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.bulk_state import FINISHED, REJECTED, SUBMITTED, Journal, inputs_key, request_key

REQUEST = {"ticker": "ACME", "rule_type": "RSI", "params": {"period": 14, "oversold": 30.0}}


def test_request_key_ignores_field_order_and_run_id():
    """Reordered fields and a run_id do not change the key; a changed value does."""
    reordered = {"params": {"oversold": 30.0, "period": 14}, "rule_type": "RSI", "ticker": "ACME"}
    assert request_key(REQUEST) == request_key(reordered)
    assert request_key(REQUEST) == request_key({**REQUEST, "run_id": "abc"})
    assert request_key(REQUEST) != request_key({**REQUEST, "ticker": "GLOBEX"})
    assert len(request_key(REQUEST)) == 64


def test_inputs_key_ignores_order():
    """The same set of requests names the same default state file."""
    assert inputs_key(["a", "b"]) == inputs_key(["b", "a"]) != inputs_key(["a"])


def test_journal_replays_to_the_latest_state(tmp_path: Path):
    """assigned → submitted → finished, and a rejection, survive a reload."""
    path = tmp_path / "state.jsonl"
    journal = Journal.load(path)
    journal.assign("k1", "run-1", REQUEST)
    journal.submitted("k1", 202)
    journal.finished("k1", {"run_id": "run-1", "status": "SUCCEEDED"})
    journal.assign("k2", "run-2", REQUEST)
    journal.rejected("k2", 400, "ticker", "unknown ticker")
    journal.assign("k3", "run-3", REQUEST)

    again = Journal.load(path)
    assert again.entries["k1"].state == FINISHED
    assert again.entries["k1"].run == {"run_id": "run-1", "status": "SUCCEEDED"}
    assert again.entries["k1"].http_status == 202
    rejected = again.entries["k2"]
    assert (rejected.state, rejected.field, rejected.message) == (
        REJECTED,
        "ticker",
        "unknown ticker",
    )
    assert not again.entries["k3"].submitted
    assert again.entries["k3"].run_id == "run-3"
    assert len(path.read_text().splitlines()) == 6


def test_the_assignment_is_on_disk_before_anything_else(tmp_path: Path):
    """assign() has written and flushed its line when it returns (the crash-safety point)."""
    path = tmp_path / "state.jsonl"
    Journal.load(path).assign("k", "run-9", REQUEST)
    (line,) = path.read_text().splitlines()
    assert json.loads(line) == {
        "event": "assigned",
        "key": "k",
        "run_id": "run-9",
        "request": REQUEST,
    }


def test_a_last_line_cut_by_a_crash_is_ignored(tmp_path: Path):
    """A truncated final line is skipped; a corrupt line in the middle is an error."""
    path = tmp_path / "state.jsonl"
    journal = Journal.load(path)
    journal.assign("k", "run-1", REQUEST)
    journal.submitted("k", 409)
    with path.open("a") as handle:
        handle.write('{"event": "fin')
    assert Journal.load(path).entries["k"].state == SUBMITTED
    path.write_text('garbage\n{"event":"assigned","key":"k","run_id":"r"}\n')
    with pytest.raises(ValueError, match="line 1"):
        Journal.load(path)
