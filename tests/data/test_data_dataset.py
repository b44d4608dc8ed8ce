"""Tests for data.dataset: load_range filters an inclusive date range and hashes the file."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

import data
from data.dataset import LoadedData, load_range, select_range
from data.errors import EmptyRangeError
from data.loader import load_bars

DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"]


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A data directory with SIX: six daily bars, close = 10 + row index."""
    rows = "".join(f"{day},10,20,5,{10 + i},{i}\n" for i, day in enumerate(DAYS))
    (tmp_path / "SIX.csv").write_text("Date,Open,High,Low,Close,Volume\n" + rows)
    (tmp_path / "catalog.json").write_text(json.dumps({"SIX": {"file": "SIX.csv"}}))
    return tmp_path


def dates(loaded: LoadedData) -> list[str]:
    return [str(d) for d in loaded.bars.timestamps.astype("datetime64[D]")]


def test_range_is_inclusive_at_both_ends(data_root: Path) -> None:
    """Bars dated exactly start and end are included."""
    loaded = load_range("SIX", date(2024, 1, 3), date(2024, 1, 8), data_dir=data_root)
    assert dates(loaded) == DAYS[1:5]
    assert loaded.bars.close.tolist() == [11.0, 12.0, 13.0, 14.0]


def test_weekend_bounds_select_the_bars_inside(data_root: Path) -> None:
    """A range from Saturday to the next Monday holds only Monday's bar."""
    loaded = load_range("SIX", date(2024, 1, 6), date(2024, 1, 8), data_dir=data_root)
    assert dates(loaded) == ["2024-01-08"]


def test_range_wider_than_the_data_returns_everything(data_root: Path) -> None:
    """A range covering all the data returns all bars."""
    loaded = load_range("SIX", date(2000, 1, 1), date(2030, 1, 1), data_dir=data_root)
    assert dates(loaded) == DAYS


def test_empty_range_raises_empty_range_error(data_root: Path) -> None:
    """No bar in [start, end] is an EmptyRangeError on start_date naming the data's span."""
    with pytest.raises(EmptyRangeError) as info:
        load_range("SIX", date(2024, 1, 6), date(2024, 1, 7), data_dir=data_root)
    assert info.value.field == "start_date"
    assert "2024-01-02 to 2024-01-09" in info.value.message
    with pytest.raises(EmptyRangeError):
        load_range("SIX", date(2025, 1, 1), date(2025, 12, 31), data_dir=data_root)


def test_start_after_end_is_an_empty_range(data_root: Path) -> None:
    """start > end is rejected as an empty range without reading the data file."""
    with pytest.raises(EmptyRangeError, match="after the end date"):
        load_range("SIX", date(2024, 1, 9), date(2024, 1, 2), data_dir=data_root)


def test_data_hash_is_sha256_of_the_whole_file(data_root: Path) -> None:
    """data_hash is hashlib.sha256 of the file's bytes, whatever the range."""
    loaded = load_range("SIX", date(2024, 1, 3), date(2024, 1, 3), data_dir=data_root)
    expected = hashlib.sha256((data_root / "SIX.csv").read_bytes()).hexdigest()
    assert loaded.data_hash == expected == data.file_sha256(data_root / "SIX.csv")
    assert loaded.ticker == "SIX"
    assert loaded.path == (data_root / "SIX.csv").resolve()


def test_datetimes_count_as_their_date(data_root: Path) -> None:
    """datetime bounds are taken as their calendar date."""
    loaded = load_range(
        "SIX", datetime(2024, 1, 4, 23, 59), datetime(2024, 1, 5, 0, 1), data_dir=data_root
    )
    assert dates(loaded) == ["2024-01-04", "2024-01-05"]


def test_non_date_bounds_are_a_type_error(data_root: Path) -> None:
    """Strings are not dates: the caller must parse them."""
    with pytest.raises(TypeError, match=r"datetime\.date"):
        load_range("SIX", "2024-01-02", date(2024, 1, 9), data_dir=data_root)  # type: ignore[arg-type]


def test_select_range_matches_a_plain_filter() -> None:
    """select_range keeps exactly the bars a per-bar date comparison keeps."""
    bars = load_bars(Path(data.__file__).parent / "ACME.csv")
    start, end = date(2016, 2, 29), date(2019, 7, 4)
    selected = select_range(bars, start, end)
    keep = [start <= ts.astype(datetime).date() <= end for ts in bars.timestamps]
    np.testing.assert_array_equal(selected.timestamps, bars.timestamps[keep])
    np.testing.assert_array_equal(selected.close, bars.close[keep])


def test_demo_ticker_loads_from_the_default_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """With DATA_DIR unset, a demo ticker loads from the package folder: 2020's 253 NYSE
    sessions (1 January was a holiday)."""
    monkeypatch.delenv("DATA_DIR", raising=False)
    loaded = load_range("ACME", date(2020, 1, 1), date(2020, 12, 31))
    assert dates(loaded)[0] == "2020-01-02"
    assert dates(loaded)[-1] == "2020-12-31"
    assert len(loaded.bars) == 253


def test_a_changed_file_is_read_again_and_its_new_hash_reported(data_root: Path) -> None:
    """Parsed files are cached per (path, mtime, size): a rewritten file is never stale."""
    path = data.load_catalog(data_root).resolve("SIX")
    first = data.load_history("SIX", date(2000, 1, 1), date(2100, 1, 1), data_root)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")  # drop the last bar
    second = data.load_history("SIX", date(2000, 1, 1), date(2100, 1, 1), data_root)
    assert len(second.bars) == len(first.bars) - 1
    assert second.data_hash == hashlib.sha256(path.read_bytes()).hexdigest() != first.data_hash


def test_cached_bars_cannot_be_changed_by_a_caller(data_root: Path) -> None:
    """The cached arrays are shared, so they are read-only."""
    history = data.load_history("SIX", date(2000, 1, 1), date(2100, 1, 1), data_root)
    with pytest.raises(ValueError, match="read-only"):
        history.bars.close[0] = 1.0


def _csv(first_day: int, days: int) -> bytes:
    lines = ["Date,Open,High,Low,Close,Volume"]
    lines += [f"2021-03-{d:02d},10,11,9,10,100" for d in range(first_day, first_day + days)]
    return ("\n".join(lines) + "\n").encode()


def test_date_range_reads_a_file_once_per_version_even_past_the_bars_cache(tmp_path, monkeypatch):
    """The forms ask for every ticker's range on every render: with more tickers than the
    bars cache holds, a second pass parses nothing, and a rewritten file is read afresh."""
    from data import dataset, date_range, register_csv

    tickers = [f"T{i:03d}" for i in range(dataset._PARSED_MAX + 6)]
    for ticker in tickers:
        register_csv(_csv(1, 3), ticker, data_dir=tmp_path)
    parsed = []
    real_parse = dataset.parse_series
    monkeypatch.setattr(dataset, "parse_series", lambda raw: parsed.append(1) or real_parse(raw))
    assert {date_range(t, tmp_path) for t in tickers} == {("2021-03-01", "2021-03-03")}
    first_pass = len(parsed)
    assert {date_range(t, tmp_path) for t in tickers} == {("2021-03-01", "2021-03-03")}
    assert len(parsed) == first_pass, "a second pass parsed files again"
    register_csv(_csv(5, 10), tickers[0], data_dir=tmp_path)
    assert date_range(tickers[0], tmp_path) == ("2021-03-05", "2021-03-14")
