"""Bar timestamps as ISO-8601 strings with an explicit UTC offset (the JSON time format)."""

from __future__ import annotations

import numpy as np

UTC_SUFFIX = "+00:00"
"""Offset appended to every timestamp: bars are stored as UTC-naive ``datetime64[s]``."""


def iso_utc(timestamps: np.ndarray) -> list[str]:
    """``datetime64`` values (UTC-naive) as ISO-8601 strings with a ``+00:00`` offset.

    >>> iso_utc(np.array(["2004-08-19T21:00"], dtype="datetime64[s]"))
    ['2004-08-19T21:00:00+00:00']
    """
    seconds = np.asarray(timestamps, dtype="datetime64[s]")
    return np.strings.add(np.datetime_as_string(seconds, unit="s"), UTC_SUFFIX).tolist()


def from_iso_utc(texts: list[str]) -> np.ndarray:
    """The inverse of ``iso_utc``: ISO-8601 strings with a ``+00:00`` offset (as results
    store them) as UTC-naive ``datetime64[s]``.

    >>> from_iso_utc(["2004-08-19T21:00:00+00:00"])
    array(['2004-08-19T21:00:00'], dtype='datetime64[s]')
    """
    return np.array([text.removesuffix(UTC_SUFFIX) for text in texts], dtype="datetime64[s]")
