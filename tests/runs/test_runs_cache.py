"""The result cache's key (kinds/runs/cache.py): what makes two run requests the same."""

from __future__ import annotations

import json

import pytest

from kinds.runs import cache
from kinds.runs.cache import cache_key, canonical_request
from kinds.runs.contract import parse_request

BASE = {"ticker": "ACME", "rule_type": "RSI", "start_date": "2016-01-01", "end_date": "2016-12-31"}
HASH = "ab" * 32


def key(**fields) -> str:
    return cache_key(parse_request({**BASE, **fields}), HASH)


def test_the_canonical_request_leaves_out_the_run_id_and_sorts_its_keys():
    """Compact JSON, keys sorted at every level, no run_id, every default filled."""
    text = canonical_request(parse_request(BASE))
    fields = json.loads(text)
    assert "run_id" not in fields and list(fields) == sorted(fields)
    assert fields["params"] == {"overbought": 70.0, "oversold": 30.0, "period": 14}
    assert fields["fee_rate"] == 0.001 and ": " not in text and ", " not in text


@pytest.mark.parametrize(
    "spelled",
    [
        {"fee_rate": 1e-3, "initial_capital": 100000},
        {"ticker": "acme", "params": {"period": 14}},
        {"params": {"overbought": 70, "oversold": 30.0, "period": 14}, "charts": True},
        {"name": "x", "tags": ["a"], "notes": "n", "cache": False},
        {"run_id": "0b6f3f0e-58a4-4c8e-9d43-1f0f2b1c9a11"},
    ],
)
def test_the_same_request_spelled_differently_has_one_key(spelled):
    """Defaults written out, number spellings, ticker case, labels, the flag and the id:
    one key."""
    assert key(**spelled) == key()


@pytest.mark.parametrize(
    "change",
    [
        {"params": {"period": 15}},
        {"start_date": "2016-01-04"},
        {"end_date": "2016-12-30"},
        {"fee_rate": 0.002},
        {"slippage_bps": 1.0},
        {"direction": "longshort"},
        {"charts": False},
        {"stop_loss_pct": 5.0},
        {"rule_id": "mine"},
    ],
)
def test_a_change_that_changes_the_result_changes_the_key(change):
    """Every field the result depends on is part of the key."""
    assert key(**change) != key()


def test_data_bytes_and_versions_are_part_of_the_key(monkeypatch):
    """Another data hash, engine version or result schema version: another key."""
    request = parse_request(BASE)
    first = cache_key(request, HASH)
    assert cache_key(request, "cd" * 32) != first
    monkeypatch.setattr(cache, "ENGINE_VERSION", "99.0.0")
    assert cache_key(request, HASH) != first
    monkeypatch.undo()
    monkeypatch.setattr(cache, "RESULT_SCHEMA_VERSION", "99.0.0")
    assert cache_key(request, HASH) != first
