"""adapters.timestamps: bar timestamps as ISO-8601 strings with an explicit UTC offset."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from adapters.timestamps import from_iso_utc, iso_utc


def test_iso_utc_appends_explicit_utc_offset():
    """A daily bar stamped 21:00 becomes "…T21:00:00+00:00"."""
    ts = np.array(["2004-08-19T21:00:00", "2004-08-20T21:00:00"], dtype="datetime64[s]")
    assert iso_utc(ts) == ["2004-08-19T21:00:00+00:00", "2004-08-20T21:00:00+00:00"]


def test_iso_utc_round_trips_through_datetime_fromisoformat():
    """Each string parses back to the same aware UTC instant, seconds included."""
    ts = np.array(["1999-12-31T23:59:59", "2024-02-29T09:30:07"], dtype="datetime64[s]")
    parsed = [datetime.fromisoformat(s) for s in iso_utc(ts)]
    assert parsed == [
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2024, 2, 29, 9, 30, 7, tzinfo=UTC),
    ]


def test_iso_utc_converts_coarser_units_to_seconds():
    """datetime64[D] input is read as midnight UTC."""
    assert iso_utc(np.array(["2020-01-02"], dtype="datetime64[D]")) == ["2020-01-02T00:00:00+00:00"]


def test_iso_utc_returns_plain_json_strings_and_handles_empty_input():
    """The output is a list of str (JSON-ready); no bars give an empty list."""
    out = iso_utc(np.array(["2020-01-02T03:04:05"], dtype="datetime64[s]"))
    assert type(out) is list and type(out[0]) is str
    assert json.loads(json.dumps(out)) == out
    assert iso_utc(np.array([], dtype="datetime64[s]")) == []


def test_from_iso_utc_reads_back_what_iso_utc_wrote():
    """Stored timestamps ("…+00:00") read back to the same datetime64[s] values."""
    stamps = np.array(["2004-08-19T21:00:00", "2024-02-29T09:30:07"], dtype="datetime64[s]")
    back = from_iso_utc(iso_utc(stamps))
    assert back.dtype == np.dtype("datetime64[s]")
    assert back.tolist() == stamps.tolist()
