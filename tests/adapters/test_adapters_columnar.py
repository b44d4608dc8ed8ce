"""adapters.columnar and adapters.timestamps: columns held as arrays read as the lists they
stand for, and their JSON, written in bulk, is the text json.dumps gives those lists."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adapters._plain import float_list
from adapters.columnar import Column, Columns, FloatColumn, TimeColumn, object_json, plain
from adapters.timestamps import iso_json, iso_utc


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _datetime_as_string(moments: np.ndarray) -> list[str]:
    """The ISO texts numpy gives, with the ``+00:00`` offset the results carry."""
    return [f"{text}+00:00" for text in np.datetime_as_string(moments, unit="s")]


def test_timestamps_written_in_bulk_are_numpy_s_iso_texts_over_the_whole_calendar():
    """Random moments from year 1 to 9999 and the edges (leap days, century years, the
    epoch and the second before it) list and write as numpy's ISO texts."""
    rng = np.random.default_rng(3)
    first, end = np.datetime64("0001-01-01", "s"), np.datetime64("10000-01-01", "s")
    span = int((end - first).astype(np.int64))
    moments = first + rng.integers(0, span, 50_000).astype("timedelta64[s]")
    edges = ["0001-01-01", "1600-02-29T12:00:01", "1900-03-01", "1969-12-31T23:59:59"]
    edges += ["1970-01-01", "2000-02-29T23:59:59", "2100-02-28", "9999-12-31T23:59:59"]
    moments = np.concatenate([moments, np.array(edges, dtype="datetime64[s]")])
    texts = _datetime_as_string(moments)
    assert iso_utc(moments) == texts
    assert iso_json(moments) == _dumps(texts)


def test_moments_outside_four_digit_years_keep_numpy_s_texts():
    """A year past 9999 (or NaT) is written as numpy writes it, not with four digits."""
    moments = np.array(["12000-01-01", "NaT"], dtype="datetime64[s]")
    assert iso_utc(moments) == ["12000-01-01T00:00:00+00:00", "NaT+00:00"]
    assert iso_json(moments) == _dumps(iso_utc(moments))
    assert iso_json(moments[:0]) == "[]"


@pytest.mark.parametrize(
    "values",
    [
        [0.0, -0.0, 0.0, -0.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
        [np.nan, 1.0, np.inf, 1.0, -np.inf, 1.0, 1.0, 1.0, 1.0, 1.0],
        [0.1 + 0.2, 1e16, 1e-5, 2.5e-300, 123456.789, 0.1 + 0.2, 1e16, 1e-5, 1e-5, 1e-5],
        list(np.linspace(0.0, 1.0, 50)),
        [7.25],
        [],
    ],
)
def test_a_float_column_writes_the_text_of_its_plain_list(values):
    """Repeated values, signed zeros, non-finite values (null) and exponents: the column's
    JSON is json.dumps of ``float_list``, whether it writes its distinct values once or
    every value."""
    column = FloatColumn(np.array(values, dtype=np.float64))
    assert column.tolist() == float_list(np.array(values))
    assert column.json() == _dumps(float_list(np.array(values))).encode()


def test_columns_read_and_write_as_the_dict_of_lists_they_stand_for():
    """A curve at points: its reads are the plain lists, ``|`` adds keys in order, and a
    document holding it (a column shared by two curves included) writes the bytes
    json.dumps gives the plain document."""
    stamps = np.array(["2024-01-02", "2024-01-03", "2024-01-04"], dtype="datetime64[s]")
    equity = np.array([100.0, 101.5, np.nan])
    points = np.array([0, 2])
    curve = Columns(
        {"timestamps": TimeColumn(stamps, points), "equity": FloatColumn(equity, points)}
    ) | {"bar": Column(points)}
    other = Columns(
        {"timestamps": TimeColumn(stamps, points), "total": FloatColumn(equity, points)}
    )
    expected = {
        "timestamps": ["2024-01-02T00:00:00+00:00", "2024-01-04T00:00:00+00:00"],
        "equity": [100.0, None],
        "bar": [0, 2],
    }
    assert curve == expected and list(curve) == ["timestamps", "equity", "bar"]
    assert curve["equity"] is curve["equity"]  # a column's list is made once
    document = {"run_id": "x", "curve": curve, "other": other, "signals": {"n": [1]}}
    assert object_json(document) == _dumps(plain(document))
    assert type(plain(document)["curve"]) is dict
