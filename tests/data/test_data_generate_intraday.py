"""Tests for data.generate_intraday: the committed hourly demo ticker is reproducible and
imports as 1h equity data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import data
from data.generate_intraday import BARS_PER_YEAR, TICKER, main
from data.loader import parse_series
from data.register import register_csv

PACKAGE_DIR = Path(data.__file__).resolve().parent


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_committed_hourly_demo_file_and_entry_are_reproduced(tmp_path: Path, capsys) -> None:
    """``python -m data.generate_intraday --out DIR`` writes the committed bytes and entry."""
    assert main(["--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        str(tmp_path.resolve() / f"{TICKER.ticker}.csv"),
        str(tmp_path.resolve() / "catalog.json"),
    ]
    name = f"{TICKER.ticker}.csv"
    # digests, as test_data_generate compares the daily files: pytest's diff of two
    # 300 kB texts that differ ran for over ten minutes
    assert _sha256(tmp_path / name) == _sha256(PACKAGE_DIR / name)
    fresh = json.loads((tmp_path / "catalog.json").read_text())
    committed = json.loads((PACKAGE_DIR / "catalog.json").read_text())
    assert fresh == {TICKER.ticker: committed[TICKER.ticker]}
    assert committed[TICKER.ticker]["synthetic"] is True


def test_hourly_demo_is_small_hourly_and_seven_bars_a_session() -> None:
    raw = (PACKAGE_DIR / f"{TICKER.ticker}.csv").read_bytes()
    assert len(raw) < 400_000
    series = parse_series(raw)
    assert series.timeframe == "1h"
    first_day = series.bars.timestamps[:7].astype(str).tolist()
    assert first_day == [f"2023-01-03T{h}:30:00" for h in range(14, 21)]


def test_importing_the_demo_file_infers_what_the_generator_records(tmp_path: Path) -> None:
    """Detection at import agrees with the generator's entry: 1h, equity, 7 × 252."""
    raw = (PACKAGE_DIR / f"{TICKER.ticker}.csv").read_bytes()
    info = register_csv(raw, "COPY", data_dir=tmp_path).info
    assert (info.timeframe, info.market, info.annual_bars) == ("1h", "equity", BARS_PER_YEAR)
    assert BARS_PER_YEAR == 1764
