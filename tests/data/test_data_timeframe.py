"""Bar spacing: detection at import (1d, 1h, 5m with gaps), refusals that name what was
seen, duplicate timestamps, the market calendar and the bars per year in the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from backtesting.test import BTCUSD

from data.catalog import load_catalog
from data.errors import CatalogError, DataQualityError
from data.import_csv import main
from data.loader import parse_series
from data.register import register_csv
from data.timeframe import bars_per_year, infer_market

HEADER = "Date,Open,High,Low,Close,Volume\n"


def _rows(stamps) -> str:
    return HEADER + "".join(f"{stamp},10,12,9,11,5\n" for stamp in stamps)


def _hourly_session(days: int, hours=range(14, 21), first="2024-01-01") -> list[str]:
    """Equity-like hourly bars: ``hours`` (UTC) on weekdays only (nights and weekends are gaps)."""
    start = np.datetime64(first, "D")
    stamps = []
    for day in (start + i for i in range(days)):
        if np.is_busday(day):
            stamps += [f"{day}T{hour:02d}:30:00" for hour in hours]
    return stamps


def _every(step_minutes: int, count: int, first="2024-01-02T14:30") -> list[str]:
    start = np.datetime64(first, "m")
    return [str(start + i * step_minutes) for i in range(count)]


def test_an_hourly_file_with_nights_and_weekends_is_1h_and_keeps_its_times():
    """Seven bars per weekday (a US session in UTC) is hourly; each bar keeps its time."""
    series = parse_series(_rows(_hourly_session(14)))
    assert series.timeframe == "1h"
    assert str(series.bars.timestamps[0]) == "2024-01-01T14:30:00"
    assert str(series.bars.timestamps[7]) == "2024-01-02T14:30:00"


def test_a_five_minute_file_is_5m():
    assert parse_series(_rows(_every(5, 200))).timeframe == "5m"


def test_a_daily_file_with_weekend_and_holiday_gaps_stays_daily_at_21_utc():
    days = ["2024-01-02", "2024-01-03", "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-16"]
    series = parse_series(_rows(days))
    assert series.timeframe == "1d"
    assert str(series.bars.timestamps[2]) == "2024-01-05T21:00:00"


@pytest.mark.parametrize(
    ("stamps", "fragment"),
    [
        ([f"2024-{m:02d}-01" for m in range(1, 13)], "bars are ~31 days apart (monthly)"),
        ([str(np.datetime64("2024-01-01") + 7 * i) for i in range(10)], "~7 days apart (weekly)"),
        (_every(15, 50), "bars are ~15 minutes apart"),
        (_every(30, 50), "bars are ~30 minutes apart"),
    ],
    ids=["monthly", "weekly", "15m", "30m"],
)
def test_an_unsupported_spacing_is_refused_naming_what_was_detected(stamps, fragment):
    with pytest.raises(DataQualityError) as err:
        parse_series(_rows(stamps))
    assert fragment in err.value.message
    assert err.value.message.endswith("supported: 1d, 1h, 5m, 1m")


def test_backtesting_py_monthly_btcusd_is_refused_not_taken_as_daily(tmp_path: Path, capsys):
    """The issue's example: BTCUSD.csv (month-end bars) is refused, the catalog untouched."""
    source = tmp_path / "BTCUSD.csv"
    BTCUSD.to_csv(source)
    assert main([str(source), "--ticker", "BTC", "--data-dir", str(tmp_path / "d")]) == 2
    assert "(monthly); supported: 1d, 1h, 5m, 1m" in capsys.readouterr().err
    assert not (tmp_path / "d" / "catalog.json").exists()


def test_duplicate_timestamps_are_the_error_not_duplicate_dates():
    stamps = _hourly_session(3)
    stamps.insert(3, stamps[2])
    with pytest.raises(DataQualityError) as err:
        parse_series(_rows(stamps))
    assert err.value.row == 5
    assert "duplicate timestamp 2024-01-01T16:30:00 (as line 4)" in err.value.message


def test_a_bar_closer_than_the_timeframe_names_its_line():
    stamps = _hourly_session(3)
    stamps.insert(2, "2024-01-01T15:45:00")
    with pytest.raises(DataQualityError) as err:
        parse_series(_rows(stamps))
    assert err.value.row == 4
    assert "15:45:00 is only 900 s after line 3; these bars are 3600 s apart" in err.value.message


@pytest.mark.parametrize(
    ("stamps", "market"),
    [
        (_hourly_session(28), "equity"),
        (_hourly_session(28, hours=range(24)), "fx"),
        (_every(60, 24 * 28), "crypto"),
    ],
    ids=["equity-session", "fx-24x5", "crypto-24x7"],
)
def test_the_market_is_inferred_from_hours_and_weekends(stamps, market):
    bars = parse_series(_rows(stamps)).bars
    assert infer_market(bars.timestamps, "1h") == market


def test_bars_per_year_is_bars_per_date_times_the_markets_days():
    assert bars_per_year("1d", "equity") == 252
    assert bars_per_year("1h", "equity", 7) == 7 * 252
    assert bars_per_year("5m", "equity") == 78 * 252
    assert bars_per_year("1h", "fx", 24) == 24 * 260
    assert bars_per_year("5m", "crypto") == 288 * 365


def test_import_records_timeframe_market_and_bars_per_year(tmp_path: Path):
    registered = register_csv(_rows(_hourly_session(14)).encode(), "SES", data_dir=tmp_path)
    doc = json.loads((tmp_path / "catalog.json").read_text())["SES"]
    assert (doc["timeframe"], doc["market"], doc["bars_per_year"]) == ("1h", "equity", 7 * 252)
    assert registered.info.annual_bars == 1764


def test_import_options_override_market_and_bars_per_year_and_check_timeframe(
    tmp_path: Path, capsys
):
    source = tmp_path / "s.csv"
    source.write_text(_rows(_hourly_session(14)))
    folder = str(tmp_path / "d")
    args = [str(source), "--ticker", "ses", "--data-dir", folder]
    assert main([*args, "--market", "crypto"]) == 0
    assert load_catalog(folder).info("SES").annual_bars == 7 * 365
    assert main([*args, "--bars-per-year", "1638"]) == 0
    assert load_catalog(folder).info("SES").annual_bars == 1638
    assert main([*args, "--timeframe", "5m"]) == 2
    assert "the bars are 1h apart, not 5m" in capsys.readouterr().err


def test_entries_without_timeframe_fields_are_daily_equity_and_keep_their_bytes(tmp_path: Path):
    text = json.dumps({"OLD": {"file": "OLD.csv", "name": "Old"}})
    (tmp_path / "catalog.json").write_text(text)
    catalog = load_catalog(tmp_path)
    info = catalog.info("OLD")
    assert (info.timeframe, info.market, info.annual_bars) == ("1d", "equity", 252)
    assert set(json.loads(catalog.to_json_bytes())["OLD"]) == {
        "description",
        "file",
        "name",
        "synthetic",
    }


@pytest.mark.parametrize(
    "extra",
    [{"timeframe": "15m"}, {"market": "bonds"}, {"bars_per_year": 0}, {"bars_per_year": "x"}],
)
def test_a_bad_timeframe_field_in_the_catalog_is_a_catalog_error(tmp_path: Path, extra):
    entry = {"file": "X.csv", **extra}
    (tmp_path / "catalog.json").write_text(json.dumps({"X": entry}))
    with pytest.raises(CatalogError, match=next(iter(extra))):
        load_catalog(tmp_path)
