"""Tests for data.download, without the network: DataFrame -> CSV, and the missing module."""

from __future__ import annotations

import hashlib
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data.download as download_module
from data.catalog import load_catalog
from data.download import INSTALL_HINT, download, frame_to_csv, frame_to_events, main
from data.errors import DataQualityError, UnknownTickerError
from data.loader import parse_bars


def yfinance_frame(multi_level: bool = True, tz: str | None = None) -> pd.DataFrame:
    """A frame shaped like yfinance.download(..., auto_adjust=False) for three days."""
    index = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-04"], name="Date")
    if tz:
        index = index.tz_localize(tz)
    values = {
        "Adj Close": [184.2, 182.8, 180.4],
        "Close": [185.63999938964844, 184.25, 181.91000366210938],
        "High": [188.440002, 185.880005, 183.089996],
        "Low": [183.889999, 183.429993, 180.880005],
        "Open": [187.149994, 184.220001, 182.149994],
        "Volume": np.array([82488700, 58414500, 71983600], dtype=np.int64),
    }
    frame = pd.DataFrame(values, index=index)
    if multi_level:
        frame.columns = pd.MultiIndex.from_product(
            [frame.columns, ["AAPL"]], names=["Price", "Ticker"]
        )
    return frame


EXPECTED = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2024-01-02,187.149994,188.440002,183.889999,185.639999,184.2,82488700\n"
    "2024-01-03,184.220001,185.880005,183.429993,184.25,182.8,58414500\n"
    "2024-01-04,182.149994,183.089996,180.880005,181.910004,180.4,71983600\n"
)
"""The Yahoo-layout CSV of ``yfinance_frame()``, written out by hand."""


@pytest.mark.parametrize("multi_level", [True, False])
def test_yfinance_frame_becomes_yahoo_csv(multi_level: bool) -> None:
    """A (multi-level) yfinance frame is written in the Yahoo layout the loader reads."""
    frame = yfinance_frame(multi_level)
    text = frame_to_csv(frame)
    assert text == EXPECTED
    bars = parse_bars(text)
    assert bars.close.tolist() == [185.639999, 184.25, 181.910004]
    assert bars.volume.tolist() == [82488700.0, 58414500.0, 71983600.0]


def test_timezone_aware_index_keeps_the_exchange_date() -> None:
    """A New York timestamped index (yfinance history) is written as the local dates."""
    text = frame_to_csv(yfinance_frame(tz="America/New_York"))
    days = [line.split(",")[0] for line in text.splitlines()[1:]]
    assert days == ["2024-01-02", "2024-01-03", "2024-01-04"]
    late = yfinance_frame(multi_level=False)
    stamps = ["2024-01-02 23:00", "2024-01-03 23:00", "2024-01-04 23:00"]
    late.index = pd.DatetimeIndex(stamps).tz_localize("Asia/Tokyo")
    assert frame_to_csv(late).splitlines()[1].startswith("2024-01-02,")


def test_missing_adj_close_is_filled_with_close() -> None:
    """Without Adj Close (auto_adjust=True frames) Close is written in its place."""
    frame = yfinance_frame(multi_level=False).drop(columns="Adj Close")
    rows = [line.split(",") for line in frame_to_csv(frame).splitlines()[1:]]
    assert all(row[4] == row[5] for row in rows)


def test_all_missing_price_rows_are_dropped_and_partial_ones_fail() -> None:
    """Rows with no prices are dropped; a single missing price fails with its line."""
    frame = yfinance_frame(multi_level=False)
    frame.loc[frame.index[1], ["Open", "High", "Low", "Close"]] = np.nan
    assert len(parse_bars(frame_to_csv(frame))) == 2
    frame = yfinance_frame(multi_level=False)
    frame.loc[frame.index[2], "High"] = np.nan
    with pytest.raises(DataQualityError, match="High is nan") as info:
        parse_bars(frame_to_csv(frame))
    assert info.value.row == 4


def test_frame_without_volume_is_rejected() -> None:
    """A frame lacking a required column is a ValueError naming it."""
    with pytest.raises(ValueError, match="Volume"):
        frame_to_csv(yfinance_frame(multi_level=False).drop(columns="Volume"))


def test_missing_yfinance_prints_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """If yfinance cannot be imported the command says 'pip install yfinance' and exits 2."""
    monkeypatch.setitem(sys.modules, "yfinance", None)
    status = main(
        ["AAPL", "--start", "2024-01-01", "--end", "2024-01-31", "--data-dir", str(tmp_path)]
    )
    assert status == 2
    assert "pip install yfinance" in capsys.readouterr().err
    assert INSTALL_HINT.endswith("pip install yfinance")
    assert list(tmp_path.iterdir()) == []


def test_download_registers_like_import(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """download() asks for start..end+1 day, writes the CSV and adds a catalog entry."""
    calls = []

    def fake_fetch(ticker: str, start: date, end: date) -> pd.DataFrame:
        calls.append((ticker, start, end))
        return yfinance_frame()

    monkeypatch.setattr(download_module, "fetch_history", fake_fetch)
    registered = download("AAPL", date(2024, 1, 2), date(2024, 1, 4), data_dir=tmp_path)
    assert calls == [("AAPL", date(2024, 1, 2), date(2024, 1, 4))]
    assert (tmp_path / "AAPL.csv").read_text() == EXPECTED
    info = load_catalog(tmp_path).info("AAPL")
    assert info.synthetic is False
    assert info.description.startswith("Yahoo Finance daily history 2024-01-02..2024-01-04")
    assert len(registered.bars) == 3


def test_fetch_history_passes_an_exclusive_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """fetch_history asks yfinance for unadjusted daily bars with end + 1 day."""
    seen = {}

    class FakeYfinance:
        @staticmethod
        def download(ticker: str, **kwargs: object) -> str:
            seen.update(kwargs, ticker=ticker)
            return "frame"

    monkeypatch.setitem(sys.modules, "yfinance", FakeYfinance)
    assert download_module.fetch_history("AAPL", date(2024, 1, 2), date(2024, 1, 31)) == "frame"
    assert seen["ticker"] == "AAPL"
    assert (seen["start"], seen["end"]) == ("2024-01-02", "2024-02-01")
    assert (seen["interval"], seen["auto_adjust"], seen["progress"]) == ("1d", False, False)


def test_empty_download_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No rows back (unknown symbol, no internet) exits 2 and writes nothing."""
    monkeypatch.setattr(download_module, "fetch_history", lambda *a: yfinance_frame().iloc[:0])
    assert (
        main(["ZZZZ", "--start", "2024-01-01", "--end", "2024-01-31", "--data-dir", str(tmp_path)])
        == 2
    )
    assert "no data returned for ZZZZ" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_invalid_ticker_is_rejected_before_fetching(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed ticker never reaches yfinance."""
    monkeypatch.setattr(download_module, "fetch_history", lambda *a: pytest.fail("fetched"))
    with pytest.raises(UnknownTickerError):
        download("../X", date(2024, 1, 1), date(2024, 1, 31))


def with_actions(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with yfinance's action columns: a 0.24 dividend on 2024-01-03, a 4:1 split
    on 2024-01-04 (zeros elsewhere, as yfinance gives them)."""
    frame = frame.copy()
    multi = getattr(frame.columns, "nlevels", 1) > 1
    for name, values in (("Dividends", [0.0, 0.24, 0.0]), ("Stock Splits", [0.0, 0.0, 4.0])):
        frame[(name, "AAPL") if multi else name] = values
    return frame


@pytest.mark.parametrize("tz", [None, "America/New_York"])
def test_yfinance_actions_become_events_on_the_exchange_date(tz: str | None) -> None:
    events = frame_to_events(with_actions(yfinance_frame(multi_level=False, tz=tz)))
    assert [(e.day, e.type, e.value) for e in events] == [
        (date(2024, 1, 3), "dividend", 0.24),
        (date(2024, 1, 4), "split", 4.0),
    ]
    assert [e.type for e in frame_to_events(with_actions(yfinance_frame()), splits=False)] == [
        "dividend"
    ]
    assert len(frame_to_events(yfinance_frame())) == 0


def test_download_stores_the_dividends_as_the_tickers_events(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Yahoo's prices are split-adjusted already: the dividends are stored, not the split."""
    monkeypatch.setattr(download_module, "fetch_history", lambda *a: with_actions(yfinance_frame()))
    registered = download("AAPL", date(2024, 1, 2), date(2024, 1, 4), data_dir=tmp_path)
    assert registered.info.events == "AAPL.events.csv"
    assert (tmp_path / "AAPL.events.csv").read_text() == (
        "date,type,value\n2024-01-03,dividend,0.24\n"
    )
    assert registered.data_hash != hashlib.sha256((tmp_path / "AAPL.csv").read_bytes()).hexdigest()
