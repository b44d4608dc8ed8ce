"""Tests for data.loader: the CSV layouts users have, dates to 21:00 UTC, header errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.errors import DataQualityError
from data.loader import load_bars, parse_bars
from tests.bars import GOOG_CSV as GOOG
from tests.fresh import loaded_by

PROJECT_ROOT = Path(__file__).resolve().parents[2]

ROWS = "2024-01-02,10,12,9,11,11,1000\n2024-01-03,11,13,10,12,11.5,2000\n"
"""Two Yahoo-layout data rows (Adj Close differs from Close)."""


def stamp(day: str) -> np.datetime64:
    """The expected timestamp of a daily bar dated ``day``: 21:00:00 UTC."""
    return np.datetime64(f"{day}T21:00:00", "s")


def test_goog_csv_with_unnamed_date_column_matches_pandas() -> None:
    """GOOG.csv (',Open,High,Low,Close,Volume') loads to the same numbers pandas reads."""
    bars = load_bars(GOOG)
    frame = pd.read_csv(GOOG, index_col=0, parse_dates=True)
    assert len(bars) == len(frame) == 2148
    for column in ("Open", "High", "Low", "Close", "Volume"):
        np.testing.assert_array_equal(getattr(bars, column.lower()), frame[column].to_numpy(float))
    expected = frame.index.values.astype("datetime64[s]") + np.timedelta64(21, "h")
    np.testing.assert_array_equal(bars.timestamps, expected)
    assert bars.timestamps.dtype == np.dtype("datetime64[s]")


def test_yahoo_layout_uses_close_not_adj_close() -> None:
    """In the Yahoo layout Close is used and Adj Close is ignored."""
    bars = parse_bars("Date,Open,High,Low,Close,Adj Close,Volume\n" + ROWS)
    assert bars.close.tolist() == [11.0, 12.0]
    assert bars.open.tolist() == [10.0, 11.0]
    assert bars.high.tolist() == [12.0, 13.0]
    assert bars.low.tolist() == [9.0, 10.0]
    assert bars.volume.tolist() == [1000.0, 2000.0]
    assert bars.timestamps.tolist() == [
        stamp("2024-01-02").item(),
        stamp("2024-01-03").item(),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "date,open,high,low,close,adj close,volume",
        "DATE,OPEN,HIGH,LOW,CLOSE,ADJ CLOSE,VOLUME",
        "Datetime,Open,High,Low,Close,Adj_Close,Volume",
        "timestamp,open,high,low,close,adjclose,volume",
        " Date , Open , High , Low , Close , Adj  Close , Volume ",
        "\ufeffDate,Open,High,Low,Close,Adj Close,Volume",
        ",Open,High,Low,Close,Adj Close,Volume",
        "Unnamed: 0,Open,High,Low,Close,Adj Close,Volume",
    ],
)
def test_header_variants_are_accepted(header: str) -> None:
    """Capitalisation, _/space variants, a BOM and an unnamed first column all load."""
    bars = parse_bars(header + "\n" + ROWS)
    assert bars.close.tolist() == [11.0, 12.0]
    assert bars.timestamps[0] == stamp("2024-01-02")


def test_columns_may_come_in_any_order() -> None:
    """Columns are found by name, not position."""
    bars = parse_bars("Volume,Close,Low,High,Open,Date\n1000,11,9,12,10,2024-01-02\n")
    assert (bars.open[0], bars.high[0], bars.low[0], bars.close[0]) == (10, 12, 9, 11)
    assert bars.volume[0] == 1000


def test_bytes_with_bom_and_crlf_load_like_text() -> None:
    """UTF-8 bytes with a BOM and CRLF line ends parse like the plain text."""
    text = "Date,Open,High,Low,Close,Adj Close,Volume\n" + ROWS
    raw = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    from_bytes, from_text = parse_bars(raw), parse_bars(text)
    np.testing.assert_array_equal(from_bytes.timestamps, from_text.timestamps)
    np.testing.assert_array_equal(from_bytes.close, from_text.close)


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2024-01-02", "2024-01-02"),
        ("2024-01-02T00:00:00-05:00", "2024-01-02"),
        ("2024-01-02 00:00:00-05:00", "2024-01-02"),
        ("2024-01-02 20:00:00-05:00", "2024-01-03"),
        ("2024-01-02T00:00:00+09:00", "2024-01-01"),
        ("2024-01-02T23:30:00Z", "2024-01-02"),
        ("2024-01-02T09:30:00", "2024-01-02"),
        ("2024-01-02 16:00:00+00:00", "2024-01-02"),
    ],
)
def test_dates_become_their_utc_date_at_21_00(cell: str, day: str) -> None:
    """A date D is D 21:00 UTC; a datetime with an offset is stamped on its UTC date."""
    bars = parse_bars(f"Date,Open,High,Low,Close,Volume\n{cell},10,12,9,11,5\n")
    assert bars.timestamps[0] == stamp(day)


def test_mixed_date_formats_in_one_file() -> None:
    """Plain dates and offset datetimes may be mixed; each row is normalised."""
    bars = parse_bars(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-02,10,12,9,11,5\n"
        "2024-01-03T00:00:00-05:00,10,12,9,11,5\n"
    )
    assert bars.timestamps.tolist() == [stamp("2024-01-02").item(), stamp("2024-01-03").item()]


def test_missing_volume_column_is_an_error() -> None:
    """A file without Volume is rejected on its header line."""
    with pytest.raises(DataQualityError, match=r"missing column.*Volume") as info:
        parse_bars("Date,Open,High,Low,Close\n2024-01-02,10,12,9,11\n")
    assert info.value.row == 1


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("Date,Open,High,Low,Close,Volume,Dividends", "unknown column 'Dividends'"),
        ("Date,Open,High,Low,Close,Volume,close", "column Close appears twice"),
        ("Open,High,Low,Close,Volume", "missing column(s): Date"),
        ("Date,Open,,Low,Close,Volume", "unknown column ''"),
    ],
)
def test_header_problems_are_reported_on_line_1(header: str, fragment: str) -> None:
    """Unknown, duplicate and missing columns fail on line 1 with the column named."""
    with pytest.raises(DataQualityError) as info:
        parse_bars(header + "\n2024-01-02,10,12,9,11,5,0\n")
    assert info.value.row == 1
    assert fragment in info.value.message


def test_empty_file_is_an_error_on_line_1() -> None:
    """An empty file has no header."""
    with pytest.raises(DataQualityError, match="empty") as info:
        parse_bars(b"")
    assert info.value.row == 1


def test_header_without_rows_is_an_error_on_line_2() -> None:
    """At least one data row is required; the error points after the header."""
    with pytest.raises(DataQualityError, match="no data rows") as info:
        parse_bars("Date,Open,High,Low,Close,Volume\n\n")
    assert info.value.row == 2


def test_line_numbers_count_blank_lines() -> None:
    """Blank lines are skipped, yet errors name the row's real line in the file."""
    text = "\nDate,Open,High,Low,Close,Volume\n2024-01-02,10,12,9,11,5\n\n2024-01-03,10,12,9,x,5\n"
    with pytest.raises(DataQualityError, match="Close 'x' is not a number") as info:
        parse_bars(text)
    assert info.value.row == 5


def test_row_with_wrong_cell_count_is_an_error() -> None:
    """A ragged row is reported with its line number and the counts."""
    with pytest.raises(DataQualityError, match="expected 6 cells, found 5") as info:
        parse_bars(
            "Date,Open,High,Low,Close,Volume\n2024-01-02,10,12,9,11,5\n2024-01-03,10,12,9,11\n"
        )
    assert info.value.row == 3


@pytest.mark.parametrize("cell", ["2024/01/03", "03.01.2024", "2024-13-01", "2024-02-30", "NaT"])
def test_unparseable_date_names_the_row(cell: str) -> None:
    """A date that is not ISO 8601 is rejected with its line number."""
    with pytest.raises(DataQualityError, match="is not an ISO date") as info:
        parse_bars(
            f"Date,Open,High,Low,Close,Volume\n2024-01-02,10,12,9,11,5\n{cell},10,12,9,11,5\n"
        )
    assert info.value.row == 3


def test_non_utf8_bytes_name_the_row() -> None:
    """Bytes that are not UTF-8 are reported on the line they appear."""
    raw = b"Date,Open,High,Low,Close,Volume\n2024-01-02,10,12,9,11,5\n2024-01-03,1\xff,12,9,11,5\n"
    with pytest.raises(DataQualityError, match="not UTF-8") as info:
        parse_bars(raw)
    assert info.value.row == 3


def test_load_bars_reads_the_file(tmp_path: Path) -> None:
    """load_bars(path) equals parse_bars of the file's bytes."""
    path = tmp_path / "x.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + ROWS)
    np.testing.assert_array_equal(load_bars(path).close, parse_bars(path.read_bytes()).close)
    with pytest.raises(FileNotFoundError):
        load_bars(tmp_path / "missing.csv")


@pytest.mark.slow
def test_loading_does_not_import_pandas() -> None:
    """Loading bars in a fresh interpreter never imports pandas (start-up time counts)."""
    assert loaded_by("import data; data.load_bars(sys.argv[1])", ["pandas"], str(GOOG)) == []


def test_rows_whose_widths_even_out_are_still_a_ragged_row_error() -> None:
    """A short row and a long one hold as many cells as two good rows: the split-by-column
    path must not shift the cells between them; the short row's line is named."""
    text = "Date,Open,High,Low,Close,Volume\n2024-01-02,10,12,9,11\n2024-01-03,10,12,9,11,5,7\n"
    with pytest.raises(DataQualityError, match="expected 6 cells, found 5") as info:
        parse_bars(text)
    assert info.value.row == 2


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_and_unquoted_files_give_the_same_bars(newline: str) -> None:
    """The string-split path (no quotes) and csv.reader (quotes) read the same bars."""
    rows = [
        "Date,Open,High,Low,Close,Volume",
        "2024-01-02,10,12,9,11,5",
        "2024-01-03,11,13,10,12,6",
    ]
    plain = parse_bars(newline.join(rows) + newline)
    quoted = parse_bars(newline.join(f'"{row}"'.replace(",", '","') for row in rows) + newline)
    for name in ("timestamps", "open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(quoted, name))
