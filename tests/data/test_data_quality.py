"""Tests for data.quality: every row check, with the offending line number asserted."""

from __future__ import annotations

import numpy as np
import pytest

from data.errors import DataQualityError
from data.loader import parse_bars
from data.quality import check_columns

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"
GOOD_BEFORE = "2024-01-02,10,12,9,11,11,1000"
GOOD_AFTER = "2024-01-05,10,12,9,11,11,1000"


def csv_with(row: str) -> str:
    """A file whose line 3 is ``row``, between two good rows (lines 2 and 4)."""
    return f"{HEADER}\n{GOOD_BEFORE}\n{row}\n{GOOD_AFTER}\n"


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("2024-01-03,10,12,9,nan,nan,1000", "Close is nan (not finite)"),
        ("2024-01-03,10,inf,9,11,11,1000", "High is inf (not finite)"),
        ("2024-01-03,10,12,9,11,11,NaN", "Volume is nan (not finite)"),
        ("2024-01-03,,12,9,11,11,1000", "Open is empty"),
        ("2024-01-03,10,12,9,11,,1000", "Adj Close is empty"),
        ("2024-01-03,10,12, ,11,11,1000", "Low is empty"),
        ("2024-01-03,null,12,9,11,11,1000", "Open 'null' is not a number"),
        ("2024-01-03,0,12,9,11,11,1000", "Open must be positive, got 0"),
        ("2024-01-03,10,12,-1,11,11,1000", "Low must be positive, got -1"),
        ("2024-01-03,10,10.5,9,11,11,1000", "High 10.5 is below max(Open, Close) = 11"),
        ("2024-01-03,12,11.5,9,11,11,1000", "High 11.5 is below max(Open, Close) = 12"),
        ("2024-01-03,10,12,10.5,11,11,1000", "Low 10.5 is above min(Open, Close) = 10"),
        ("2024-01-03,10,12,9.8,9.5,9.5,1000", "Low 9.8 is above min(Open, Close) = 9.5"),
        ("2024-01-03,10,12,9,11,11,-5", "Volume must be >= 0, got -5"),
        ("2024-01-02,10,12,9,11,11,1000", "duplicate date 2024-01-02 (same day as line 2)"),
        (
            "2024-01-01,10,12,9,11,11,1000",
            "date 2024-01-01 is before 2024-01-02 on line 2; rows must be in ascending date order",
        ),
        ("2024-01-01T22:00:00-05:00,10,12,9,11,11,1000", "duplicate date 2024-01-02"),
    ],
)
def test_each_check_names_the_offending_line(row: str, fragment: str) -> None:
    """A bad line 3 between good rows fails with row == 3 and a message saying why."""
    with pytest.raises(DataQualityError) as info:
        parse_bars(csv_with(row))
    assert info.value.row == 3
    assert fragment in info.value.message
    assert str(info.value).startswith("line 3: ")


def test_good_rows_pass_every_check() -> None:
    """Rows at the limits (High == Close, Low == Open, Volume 0) are accepted."""
    bars = parse_bars(csv_with("2024-01-03,10,11,10,11,11,0"))
    assert len(bars) == 3
    assert bars.volume[1] == 0


def test_the_earliest_bad_line_is_reported() -> None:
    """With problems on several lines, the first one in the file is reported."""
    text = (
        f"{HEADER}\n{GOOD_BEFORE}\n"
        "2024-01-03,10,12,9,11,11,1000\n"
        "2024-01-04,10,12,9,11,11,-1\n"  # line 4: negative volume
        "2024-01-05,10,9,9,11,11,1000\n"  # line 5: high below close
    )
    with pytest.raises(DataQualityError, match="Volume") as info:
        parse_bars(text)
    assert info.value.row == 4


def test_on_one_line_the_first_check_in_order_wins() -> None:
    """A NaN is reported as not finite rather than as a High/Low violation."""
    with pytest.raises(DataQualityError, match="High is nan") as info:
        parse_bars(csv_with("2024-01-03,10,nan,9,11,11,1000"))
    assert info.value.row == 3


def test_check_columns_maps_indices_to_given_lines() -> None:
    """check_columns reports the line number given for the failing index."""
    days = np.array([19000, 19001, 19001], dtype=np.int64)
    ones = np.ones(3)
    columns = {"Open": ones, "High": ones, "Low": ones, "Close": ones, "Volume": ones}
    with pytest.raises(DataQualityError, match="duplicate date 2022-01-09") as info:
        check_columns(days, columns, [10, 20, 30])
    assert info.value.row == 30
    check_columns(days[:2], {k: v[:2] for k, v in columns.items()}, [10, 20])
