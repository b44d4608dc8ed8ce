"""Tests for data.register: check, store unchanged, update the catalog."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from data.catalog import TickerInfo, load_catalog
from data.errors import DataQualityError, UnknownTickerError
from data.register import register_csv, summary

RAW = b"Date,Open,High,Low,Close,Volume\r\n2024-01-02,10,12,9,11,5\r\n2024-01-03,11,13,10,12,6\r\n"


def test_register_stores_bytes_unchanged_and_adds_an_entry(tmp_path: Path) -> None:
    """The file is stored byte for byte as <TICKER>.csv with a non-synthetic entry."""
    registered = register_csv(RAW, "XYZ", name="Xyz Corp", description="d", data_dir=tmp_path)
    assert (tmp_path / "XYZ.csv").read_bytes() == RAW
    assert registered.data_hash == hashlib.sha256(RAW).hexdigest()
    assert registered.path == tmp_path.resolve() / "XYZ.csv"
    assert len(registered.bars) == 2
    assert load_catalog(tmp_path).info("XYZ") == TickerInfo(
        "XYZ", "Xyz Corp", "XYZ.csv", False, "d", timeframe="1d", market="equity", bars_per_year=252
    )


def test_register_keeps_other_entries_and_the_existing_name(tmp_path: Path) -> None:
    """Re-registering keeps the entry's name when none is given and leaves others alone."""
    (tmp_path / "catalog.json").write_text(
        json.dumps(
            {
                "XYZ": {"file": "old.csv", "name": "Old Name", "synthetic": True},
                "KEEP": {"file": "KEEP.csv", "name": "Keep"},
            }
        )
    )
    register_csv(RAW, "XYZ", data_dir=tmp_path)
    catalog = load_catalog(tmp_path)
    assert catalog.info("XYZ") == TickerInfo(
        "XYZ", "Old Name", "XYZ.csv", False, "", bars_per_year=252
    )
    assert catalog.info("KEEP").name == "Keep"


def test_new_ticker_name_defaults_to_the_ticker(tmp_path: Path) -> None:
    """Without a name or a previous entry, the name is the ticker."""
    assert register_csv(RAW, "NEW", data_dir=tmp_path).info.name == "NEW"


def test_missing_data_dir_is_created(tmp_path: Path) -> None:
    """The data directory is created on first registration."""
    target = tmp_path / "a" / "b"
    register_csv(RAW, "XYZ", data_dir=target)
    assert (target / "XYZ.csv").read_bytes() == RAW
    assert (target / "catalog.json").is_file()


def test_bad_file_writes_nothing(tmp_path: Path) -> None:
    """A file failing a check raises DataQualityError and leaves DATA_DIR untouched."""
    bad = RAW + b"2024-01-03,11,13,10,12,6\r\n"
    with pytest.raises(DataQualityError) as info:
        register_csv(bad, "XYZ", data_dir=tmp_path)
    assert info.value.row == 4
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ticker", ["../evil", "x y", "", "CATALOG/../../X"])
def test_invalid_ticker_writes_nothing(tmp_path: Path, ticker: str) -> None:
    """A ticker that fails the pattern is rejected before anything is written."""
    with pytest.raises(UnknownTickerError):
        register_csv(RAW, ticker, data_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_summary_states_count_span_and_hash(tmp_path: Path) -> None:
    """The summary line names the ticker, bar count, date span, timeframe and hash."""
    registered = register_csv(RAW, "XYZ", data_dir=tmp_path)
    line = summary(registered)
    assert line.startswith("XYZ: 2 bars 2024-01-02 .. 2024-01-03 (1d, equity, 252 bars/year) -> ")
    assert line.endswith(f"(sha256 {hashlib.sha256(RAW).hexdigest()})")
