"""kinds/runs/query.py: the runs' query-string inputs read from a plain mapping (no Flask),
each bad value a ``RequestError`` naming its parameter."""

from __future__ import annotations

import uuid

import pytest

from kinds.runs.query import is_run_id, run_filter, run_ids, run_sort
from kinds.runs.store import RunFilter, RunSort
from work.errors import RequestError


def test_empty_values_mean_no_filter_and_the_default_order():
    """An HTML form's empty fields filter nothing; no sort is newest first."""
    assert run_filter({"status": "", "ticker": " ", "q": ""}) == RunFilter()
    assert run_sort({}) == RunSort("created_at", True)


def test_values_are_normalised_as_the_history_compares_them():
    """Status and rule in any case (rule with dashes), order in any case."""
    got = run_filter({"status": "succeeded", "rule": "sma-cross", "tag": "a.b"})
    assert (got.status, got.rule_type, got.tag) == ("SUCCEEDED", "SMA_CROSS", "a.b")
    assert run_sort({"sort": "ticker", "order": "ASC"}) == RunSort("ticker", False)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"status": "DONE"}, "status"),
        ({"rule": "NOPE"}, "rule"),
        ({"tag": "a b"}, "tag"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_a_bad_filter_names_its_parameter(args, field):
    """Each refused filter value is a RequestError whose field is the parameter."""
    with pytest.raises(RequestError) as caught:
        run_filter(args)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("args", "field"), [({"sort": "nope"}, "sort"), ({"order": "up"}, "order")]
)
def test_a_bad_order_names_its_parameter(args, field):
    """An unknown sort key or direction is a RequestError naming it."""
    with pytest.raises(RequestError) as caught:
        run_sort(args)
    assert caught.value.field == field


def test_run_ids_drop_duplicates_and_refuse_what_is_no_run_id_or_too_many():
    """ids: comma-separated, duplicates dropped in order; a non-id or too many is refused."""
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert run_ids({"ids": f"{first}, {second},{first},"}, 2) == [first, second]
    with pytest.raises(RequestError, match="is not a run id") as caught:
        run_ids({"ids": f"{first},nope"}, 5)
    assert caught.value.field == "ids"
    with pytest.raises(RequestError, match="at most 1 run ids"):
        run_ids({"ids": f"{first},{second}"}, 1)
    assert is_run_id(first) and not is_run_id(first.upper())
