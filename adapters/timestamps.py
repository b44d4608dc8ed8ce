"""Bar timestamps as ISO-8601 strings with an explicit UTC offset (the JSON time format).

The strings are computed in bulk from epoch seconds (the civil date by integer arithmetic,
every digit a numpy column), not one ``datetime`` at a time: ``iso_utc`` lists them, with
the same characters ``numpy.datetime_as_string`` gives (years 1..9999; any other moment
takes that path; years 1 to 9998 are orjson's texts read back). ``iso_json`` writes them as
a JSON array in one pass: by orjson from the array (``adapters.json_text.time_array``) for
years 1 to 9998, the texts above otherwise.
"""

from __future__ import annotations

import numpy as np
import orjson

from adapters.json_text import dumps_bytes, time_array

UTC_SUFFIX = "+00:00"
"""Offset appended to every timestamp: bars are stored as UTC-naive ``datetime64[s]``."""

_WIDTH = 25
"""Characters of one timestamp: ``YYYY-MM-DDTHH:MM:SS+00:00``."""

_FIRST, _END = (int(np.datetime64(d, "s").astype(np.int64)) for d in ("0001-01-01", "10000-01-01"))
"""Epoch seconds of the moments written with four-digit years: [_FIRST, _END)."""

_DIGITS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))
"""(first column, width) of year, month, day, hour, minute and second in a timestamp."""


def _fields(seconds: np.ndarray) -> tuple[np.ndarray, ...]:
    """Year, month, day, hour, minute, second of epoch seconds (the proleptic Gregorian
    calendar, days counted from 0000-03-01 so a leap day ends a year)."""
    days, of_day = np.divmod(seconds, 86_400)
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    hour, rest = np.divmod(of_day, 3_600)
    minute, second = np.divmod(rest, 60)
    return year, month, day, hour, minute, second


def _iso_bytes(
    timestamps: np.ndarray, before: bytes = b"", after: bytes = b""
) -> np.ndarray | None:
    """One row of ASCII codes per timestamp, ``before`` + its ISO text + ``after``; None
    when a moment lies outside years 1..9999 (or is NaT)."""
    seconds = np.asarray(timestamps, dtype="datetime64[s]").astype(np.int64)
    if seconds.size and (seconds.min() < _FIRST or seconds.max() >= _END):
        return None
    template = before + b"0000-00-00T00:00:00" + UTC_SUFFIX.encode() + after
    out = np.empty((seconds.size, len(template)), dtype=np.uint8)
    out[:] = np.frombuffer(template, dtype=np.uint8)
    for values, (first, width) in zip(_fields(seconds), _DIGITS, strict=True):
        for column in range(len(before) + first + width - 1, len(before) + first - 1, -1):
            values, digit = np.divmod(values, 10)
            out[:, column] += digit.astype(np.uint8)
    return out


def iso_utc(timestamps: np.ndarray) -> list[str]:
    """``datetime64`` values (UTC-naive) as ISO-8601 strings with a ``+00:00`` offset.

    >>> iso_utc(np.array(["2004-08-19T21:00"], dtype="datetime64[s]"))
    ['2004-08-19T21:00:00+00:00']
    """
    seconds = np.asarray(timestamps, dtype="datetime64[s]")
    text = time_array(seconds)
    if text is not None:
        return orjson.loads(text)  # the texts orjson wrote, as str objects: C, in bulk
    rows = _iso_bytes(seconds)
    if rows is None:
        return np.strings.add(np.datetime_as_string(seconds, unit="s"), UTC_SUFFIX).tolist()
    return rows.view(f"S{_WIDTH}").ravel().astype(f"U{_WIDTH}").tolist()


def iso_json(timestamps: np.ndarray) -> str:
    """``iso_utc(timestamps)`` as a compact JSON array, written in one pass (the text
    ``json.dumps`` gives the list).

    >>> iso_json(np.array(["2004-08-19T21:00", "2004-08-20"], dtype="datetime64[s]"))
    '["2004-08-19T21:00:00+00:00","2004-08-20T00:00:00+00:00"]'
    """
    return iso_json_bytes(timestamps).decode("ascii")


def iso_json_bytes(timestamps: np.ndarray) -> bytes:
    """``iso_json`` as ASCII bytes."""
    text = time_array(timestamps)
    if text is not None:
        return text
    rows = _iso_bytes(timestamps, b'"', b'",')
    if rows is None:
        return dumps_bytes(iso_utc(timestamps))
    return b"[" + rows.tobytes()[:-1] + b"]"


def from_iso_utc(texts: list[str]) -> np.ndarray:
    """The inverse of ``iso_utc``: ISO-8601 strings with a ``+00:00`` offset (as results
    store them) as UTC-naive ``datetime64[s]``.

    >>> from_iso_utc(["2004-08-19T21:00:00+00:00"])
    array(['2004-08-19T21:00:00'], dtype='datetime64[s]')
    """
    return np.array([text.removesuffix(UTC_SUFFIX) for text in texts], dtype="datetime64[s]")
