"""adapters.periods: monthly returns and yearly totals of an equity curve."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pandas as pd
import pytest

from adapters import periods
from adapters.periods import monthly_returns


def stamps(*days: str) -> np.ndarray:
    return np.array([f"{day}T21:00:00" for day in days], dtype="datetime64[s]")


def test_each_month_is_its_last_equity_over_the_previous_months_last():
    """100 → (Jan ends 110) → (Feb ends 99) → (Mar ends 108.9): +10%, −10%, +10%; the
    first month is measured from the first bar, not the month's first bar."""
    ts = stamps("2021-01-04", "2021-01-29", "2021-02-01", "2021-02-26", "2021-03-31")
    rows = monthly_returns(ts, np.array([100.0, 110.0, 120.0, 99.0, 108.9]))
    assert [row["year"] for row in rows] == [2021]
    months = rows[0]["months_pct"]
    assert months[:3] == pytest.approx([10.0, -10.0, 10.0], rel=1e-12)
    assert months[3:] == [None] * 9
    assert rows[0]["year_pct"] == pytest.approx((108.9 / 100.0 - 1) * 100, rel=1e-12)


def test_a_year_compounds_its_months_and_starts_from_the_previous_years_last_bar():
    """Dec 2020 ends at 200; 2021's only month ends at 150: 2021 = −25%, 2020 = +100%."""
    ts = stamps("2020-11-02", "2020-12-31", "2021-01-05")
    rows = monthly_returns(ts, np.array([100.0, 200.0, 150.0]))
    assert [row["year"] for row in rows] == [2020, 2021]
    assert rows[0]["months_pct"][10:] == pytest.approx([0.0, 100.0])
    assert rows[0]["year_pct"] == pytest.approx(100.0)
    assert rows[1]["months_pct"][0] == pytest.approx(-25.0)
    assert rows[1]["year_pct"] == pytest.approx(-25.0)


def test_monthly_and_yearly_returns_match_pandas_resampling():
    """On 400 random business days: pandas' month-end / year-end resampling of the equity
    (the first bar prepended as the base) gives the same returns."""
    rng = np.random.default_rng(7)
    index = pd.bdate_range("2019-03-13", periods=400) + pd.Timedelta(hours=21)
    equity = 1000.0 * np.cumprod(1 + rng.normal(0, 0.01, index.size))
    rows = monthly_returns(index.values.astype("datetime64[s]"), equity)
    series = pd.Series(equity, index=index)
    for freq, pick in (("ME", lambda r: r["months_pct"]), ("YE", lambda r: [r["year_pct"]])):
        ends = series.resample(freq).last()
        expected = (ends / pd.concat([pd.Series([equity[0]]), ends[:-1]]).values - 1) * 100
        got = [value for row in rows for value in pick(row) if value is not None]
        assert got == pytest.approx(expected.tolist(), rel=1e-9)


def test_a_month_after_equity_zero_is_none_and_the_rows_are_plain_json():
    """A return from an equity of 0 is undefined (None); json.dumps(allow_nan=False) works."""
    ts = stamps("2021-01-04", "2021-02-01", "2021-03-01")
    rows = monthly_returns(ts, np.array([100.0, 0.0, 0.0]))
    assert rows[0]["months_pct"][:3] == [0.0, -100.0, None]
    assert rows[0]["year_pct"] is None
    json.dumps(rows, allow_nan=False)


def test_the_docstring_examples_hold():
    """The module's >>> examples give what they show."""
    assert doctest.testmod(periods).failed == 0
