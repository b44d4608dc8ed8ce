"""Tests for data.events: the events file format, its errors (file and line) and the hash."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from data.catalog import load_catalog
from data.errors import CatalogError
from data.events import (
    DELISTING,
    DIVIDEND,
    SPLIT,
    Event,
    EventsError,
    combined_hash,
    format_events,
    parse_events,
)

GOOD = """date,type,value,value2
# Alphabet-like
2020-08-31,split,4
2020-02-07,dividend,0.77

2021-06-01,split,3,2
2023-05-01,delisting,12.5
"""


def test_events_are_read_in_date_order_with_their_lines() -> None:
    """Rows become events sorted by date; 3,2 is a 1.5 ratio; comments and blanks skipped."""
    events = parse_events(GOOD, "X.events.csv")
    assert [(e.day, e.type, e.value, e.line) for e in events] == [
        (date(2020, 2, 7), DIVIDEND, 0.77, 4),
        (date(2020, 8, 31), SPLIT, 4.0, 3),
        (date(2021, 6, 1), SPLIT, 1.5, 6),
        (date(2023, 5, 1), DELISTING, 12.5, 7),
    ]
    assert events.delisting.value == 12.5
    assert len(events.of_type(SPLIT)) == 2


def test_a_delisting_without_cash_and_a_three_column_header() -> None:
    """``value`` is optional for a delisting (the last close is paid)."""
    events = parse_events("date,type,value\n2023-05-01,delisting\n", "e.csv")
    assert events.delisting == Event(date(2023, 5, 1), DELISTING, None, 2)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "the file is empty"),
        ("day,kind,amount\n", 1, "the header must be date,type,value,value2"),
        ("date,type,value\n2020-13-01,split,2\n", 2, "date '2020-13-01' is not an ISO date"),
        ("date,type,value\n2020-01-02,merger,2\n", 2, "unknown event type 'merger'"),
        ("date,type,value\n2020-01-02,split\n", 2, "a split needs its ratio"),
        ("date,type,value\n2020-01-02,split,1\n", 2, "split ratio 1 must be greater than 0"),
        ("date,type,value\n2020-01-02,split,-2\n", 2, "must be greater than 0 and not 1"),
        ("date,type,value\n2020-01-02,split,3,0\n", 2, "split value2 '0' must be greater"),
        ("date,type,value\n2020-01-02,split,1e300\n", 2, "split ratio 1e+300 is beyond"),
        ("date,type,value\n2020-01-02,split,1e-300\n", 2, "split ratio 1e-300 is beyond"),
        ("date,type,value\n2020-01-02,split,1,100000\n", 2, "split ratio 1e-05 is beyond"),
        ("date,type,value\n2020-01-02,split,10001\n", 2, "between 1:10,000 (0.0001) and"),
        ("date,type,value\n2020-01-02,dividend,x\n", 2, "dividend 'x' is not a number"),
        ("date,type,value\n2020-01-02,dividend,0\n", 2, "dividend '0' must be greater than 0"),
        ("date,type,value\n2020-01-02,dividend,nan\n", 2, "is not a finite number"),
        ("date,type,value\n2020-01-02,dividend,1,2\n", 2, "a dividend has one value"),
        ("date,type,value\n2020-01-02,delisting,-1\n", 2, "delisting cash '-1' must be 0"),
        ("date,type,value\n2020-01-02\n", 2, "found 1 cell(s)"),
        ("date,type,value\n2020-01-02,split,2\n2020-01-02,split,3\n", 3, "a second split"),
        (
            "date,type,value\n2020-01-02,delisting\n2020-01-03,delisting\n",
            3,
            "a second delisting",
        ),
        (
            "date,type,value\n2020-01-02,delisting\n2020-02-03,dividend,1\n",
            3,
            "a dividend on 2020-02-03, after the delisting on 2020-01-02",
        ),
    ],
)
def test_every_error_names_the_file_and_line(text: str, line: int, message: str) -> None:
    """A bad events file is an EventsError naming the file and the 1-based line."""
    with pytest.raises(EventsError) as caught:
        parse_events(text, "ACME.events.csv")
    assert (caught.value.file, caught.value.row) == ("ACME.events.csv", line)
    assert str(caught.value).startswith(f"ACME.events.csv line {line}: ")
    assert message in str(caught.value)


def test_a_split_of_ten_thousand_either_way_is_read() -> None:
    """The bound on one split's ratio includes 10,000:1 and 1:10,000."""
    events = parse_events(
        "date,type,value\n2020-01-02,split,10000\n2020-02-03,split,1,10000\n", "e"
    )
    assert [e.value for e in events] == [10_000.0, 1e-4]


def test_a_non_utf8_file_names_the_line_of_the_bad_byte() -> None:
    with pytest.raises(EventsError, match=r"^e\.csv line 2: the file is not UTF-8"):
        parse_events(b"date,type,value\n2020-01-02,split,\xff\n", "e.csv")


def test_formatted_events_read_back_the_same() -> None:
    """``format_events`` writes what ``parse_events`` reads back (lines aside)."""
    events = parse_events(GOOD, "e.csv")
    again = parse_events(format_events(events), "e.csv")
    strip = [(e.day, e.type, e.value) for e in events]
    assert [(e.day, e.type, e.value) for e in again] == strip


def test_without_events_the_data_hash_is_the_csvs_and_with_them_it_changes() -> None:
    """No events file keeps the CSV's SHA-256 byte for byte; an events file changes it, and
    another events file changes it again."""
    csv_sha = hashlib.sha256(b"bars").hexdigest()
    assert combined_hash(csv_sha, None) == csv_sha
    one = combined_hash(csv_sha, b"date,type,value\n2020-01-02,split,2\n")
    two = combined_hash(csv_sha, b"date,type,value\n2020-01-02,split,3\n")
    assert len({csv_sha, one, two}) == 3
    events_sha = hashlib.sha256(b"date,type,value\n2020-01-02,split,2\n").hexdigest()
    expected = hashlib.sha256(f"bars {csv_sha}\nevents {events_sha}\n".encode()).hexdigest()
    assert one == expected


@pytest.mark.parametrize("name", ["../x.csv", "", 3, "X.csv"])
def test_a_catalog_entry_with_a_bad_events_name_is_invalid(tmp_path: Path, name: object) -> None:
    """The events file must be a bare file name other than the bars' file."""
    entry = {"file": "X.csv", "name": "X", "synthetic": False, "events": name}
    (tmp_path / "catalog.json").write_text(json.dumps({"X": entry}))
    with pytest.raises(CatalogError, match="entry X has an invalid events file name"):
        load_catalog(tmp_path, user_dir=None)


def test_the_catalog_resolves_the_events_file_beside_the_bars(tmp_path: Path) -> None:
    entries = {
        "X": {"file": "X.csv", "name": "X", "synthetic": False, "events": "X.events.csv"},
        "Y": {"file": "Y.csv", "name": "Y", "synthetic": False},
    }
    (tmp_path / "catalog.json").write_text(json.dumps(entries))
    catalog = load_catalog(tmp_path, user_dir=None)
    assert catalog.resolve_events("X") == tmp_path.resolve() / "X.events.csv"
    assert catalog.resolve_events("Y") is None
    assert "events" not in catalog.info("Y").to_json()
