"""Tests for data.generate: reproducible, well-formed demo data that strategies trade on."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import data
import engine
from data.catalog import load_catalog
from data.demo_index import INDEX_TICKER, MEMBERS_FILE
from data.demo_universe import DELISTED, PAYER, SECTORS, UNIVERSE
from data.generate import DEMO_TICKERS, THIN_TICKER, generate
from data.loader import load_bars
from data.trading_days import trading_days

PACKAGE_DIR = Path(data.__file__).resolve().parent
"""Where the committed demo data lives."""

PROJECT_ROOT = PACKAGE_DIR.parent
DEMO = [spec.ticker for spec in DEMO_TICKERS]
MEMBERS = [member.ticker for member in UNIVERSE]
COMPANIES = [*DEMO, *MEMBERS]
TICKERS = [*COMPANIES, INDEX_TICKER, DELISTED.ticker, PAYER.ticker]
SIDE_FILES = [f"{DELISTED.ticker}.events.csv", f"{PAYER.ticker}.events.csv", MEMBERS_FILE]
"""The files beside the bars: the delisted company's and the dividend payer's events,
DEMOIX's membership."""
WRITTEN = [
    *(f"{t}.csv" for t in [*COMPANIES, INDEX_TICKER]),
    *(
        f"{company.ticker}{suffix}"
        for company in (DELISTED, PAYER)
        for suffix in (".csv", ".events.csv")
    ),
    MEMBERS_FILE,
    "catalog.json",
]
"""What ``python -m data.generate`` writes, in order: each company with its events file."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data generated afresh into a temporary directory."""
    out = tmp_path_factory.mktemp("demo")
    generate(out)
    return out


def test_committed_csvs_are_reproduced_byte_for_byte(generated: Path) -> None:
    """Regenerating gives files with the same SHA-256 as the committed ones."""
    for name in [*(f"{ticker}.csv" for ticker in TICKERS), *SIDE_FILES]:
        assert sha256(generated / name) == sha256(PACKAGE_DIR / name), name


def test_committed_catalog_entries_are_reproduced(generated: Path) -> None:
    """The generated catalog has exactly the committed demo entries."""
    fresh = json.loads((generated / "catalog.json").read_text())
    committed = json.loads((PACKAGE_DIR / "catalog.json").read_text())
    assert sorted(fresh) == sorted(TICKERS)
    assert {t: committed[t] for t in TICKERS} == fresh


def test_generate_twice_is_identical_and_keeps_other_entries(tmp_path: Path) -> None:
    """A second run rewrites identical bytes and merges into an existing catalog."""
    (tmp_path / "catalog.json").write_text('{"REAL": {"file": "REAL.csv", "name": "Real"}}')
    paths = generate(tmp_path)
    first = {p.name: sha256(p) for p in paths}
    second = {p.name: sha256(p) for p in generate(tmp_path)}
    assert first == second
    assert [info.ticker for info in load_catalog(tmp_path).tickers()] == sorted(["REAL", *TICKERS])


def test_demo_entries_are_synthetic_and_fictional(generated: Path) -> None:
    """Every demo entry is flagged synthetic and described as synthetic demo data."""
    for info in load_catalog(generated).tickers():
        assert info.synthetic is True
        assert info.file == f"{info.ticker}.csv"
        assert "synthetic demo data" in info.description.lower()
        assert "fictional" in info.description


@pytest.mark.parametrize("ticker", DEMO)
def test_demo_files_are_yahoo_layout_on_trading_days(generated: Path, ticker: str) -> None:
    """Yahoo header, cents, Adj Close = Close, NYSE trading days 2014-01-02 .. 2024-12-31
    (2,768 of them), quality checks pass."""
    lines = (generated / f"{ticker}.csv").read_text().splitlines()
    assert lines[0] == "Date,Open,High,Low,Close,Adj Close,Volume"
    rows = [line.split(",") for line in lines[1:]]
    assert rows[0][0] == "2014-01-02"
    assert rows[-1][0] == "2024-12-31"
    days = np.array([row[0] for row in rows], dtype="datetime64[D]")
    assert np.is_busday(days).all()
    assert (days == trading_days("2014-01-02", "2024-12-31")).all()
    assert len(days) == 2768  # the NYSE's published yearly counts, 252 + 252 + ... + 252
    for row in rows:
        assert all(len(cell.split(".")[1]) == 2 for cell in row[1:6])
        assert row[4] == row[5]
        assert row[6].isdigit()
    bars = load_bars(generated / f"{ticker}.csv")  # runs every quality check
    assert bars.low.min() > 1.0


NYSE_HOLIDAYS = (
    "2014-01-01",  # New Year's Day
    "2015-07-03",  # Independence Day on a Saturday, observed Friday
    "2016-01-01",  # New Year's Day
    "2016-07-04",  # Independence Day
    "2017-01-02",  # New Year's Day on a Sunday, observed Monday
    "2017-12-25",  # Christmas
    "2018-12-05",  # national day of mourning (President G. H. W. Bush)
    "2019-04-19",  # Good Friday
    "2020-11-26",  # Thanksgiving
    "2021-12-24",  # Christmas on a Saturday, observed Friday
    "2022-06-20",  # Juneteenth on a Sunday, observed Monday
    "2024-01-15",  # Martin Luther King Jr. Day
)


def test_no_demo_ticker_has_a_bar_on_an_nyse_holiday() -> None:
    """The committed files skip the exchange's closures (and weekends) but keep the days
    around them (2021-12-31 is a trading day: New Year 2022 is a Saturday, not made up).
    The universe's members, some listed later, are checked against the calendar below."""
    for ticker in DEMO:
        lines = (PACKAGE_DIR / f"{ticker}.csv").read_text().splitlines()
        dates = {line.split(",", 1)[0] for line in lines[1:]}
        assert not dates & set(NYSE_HOLIDAYS), ticker
        assert {"2016-07-05", "2019-04-18", "2019-04-22", "2021-12-31"} <= dates, ticker
        days = np.array(sorted(dates), dtype="datetime64[D]")
        assert np.is_busday(days).all(), ticker


@pytest.mark.parametrize("ticker", COMPANIES)
def test_demo_prices_have_regimes_and_volatility_clustering(generated: Path, ticker: str) -> None:
    """Each series has a deep drawdown, a strong rally and clustered volatility."""
    close = load_bars(generated / f"{ticker}.csv").close
    drawdown = 1 - close / np.maximum.accumulate(close)
    assert drawdown.max() > 0.25
    yearly = close[252:] / close[:-252] - 1
    assert yearly.max() > 0.25
    assert yearly.min() < -0.10
    moves = np.abs(np.diff(np.log(close)))
    lag1 = np.corrcoef(moves[:-1], moves[1:])[0, 1]
    assert lag1 > 0.05  # |returns| are autocorrelated: calm and wild stretches


@pytest.mark.parametrize("ticker", DEMO)
def test_a_moving_average_crossover_trades_on_demo_data(generated: Path, ticker: str) -> None:
    """A 20/50-day SMA crossover opens many trades on every demo ticker."""
    bars = load_bars(generated / f"{ticker}.csv")
    close = bars.close
    sma = {n: np.convolve(close, np.ones(n) / n, mode="full")[: len(close)] for n in (20, 50)}
    above = sma[20] > sma[50]
    above[:50] = False
    cross_up = above & ~np.roll(above, 1)
    cross_down = ~above & np.roll(above, 1)
    cross_up[:51] = cross_down[:51] = False
    result = engine.run(bars, cross_up, cross_down)
    assert result.metrics["num_trades"] >= 20


@pytest.mark.slow
def test_module_runs_as_a_command(tmp_path: Path) -> None:
    """`python -m data.generate --out DIR` runs with warnings as errors and lists its files."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "data.generate", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert [Path(line).name for line in result.stdout.splitlines()] == WRITTEN


def test_demo_universe_has_thirty_tickers_in_six_sectors_with_their_sector_recorded() -> None:
    """30 members, five a sector, each catalog entry naming its sector; the original demo
    tickers have none."""
    catalog = load_catalog(PACKAGE_DIR, user_dir=None)
    assert len(MEMBERS) == len(set(MEMBERS)) == 30
    assert not set(MEMBERS) & set(DEMO)
    for sector in SECTORS:
        assert sum(catalog.info(t).sector == sector for t in MEMBERS) == 5
    assert {catalog.info(t).sector for t in DEMO} == {None}


def test_demo_universe_members_start_on_their_listing_day_and_end_with_the_others(
    generated: Path,
) -> None:
    """A member's first bar is the first trading day on or after its listing date, its
    bars are the NYSE trading days from there to 2024-12-31, and seven list late."""
    late = 0
    for member in UNIVERSE:
        bars = load_bars(generated / f"{member.ticker}.csv")  # runs every quality check
        days = bars.timestamps.astype("datetime64[D]")
        assert (days == trading_days(member.listed, "2024-12-31")).all(), member.ticker
        assert days[0] >= np.datetime64(member.listed) and days[-1] == np.datetime64("2024-12-31")
        assert bars.low.min() > 1.0, member.ticker
        late += member.listed > "2014-01-02"
    assert late == 7


def test_demo_universe_sectors_move_together_and_volatilities_differ(generated: Path) -> None:
    """Daily returns of two members of a sector correlate more than those of two members of
    different sectors, on average; annual volatilities span at least 0.2 to 0.45."""
    returns, vols = {}, []
    for member in UNIVERSE:
        close = load_bars(generated / f"{member.ticker}.csv").close[-750:]
        returns[member.ticker] = np.diff(np.log(close))
        vols.append(returns[member.ticker].std() * np.sqrt(252))
    same, other = [], []
    for i, a in enumerate(UNIVERSE):
        for b in UNIVERSE[i + 1 :]:
            rho = np.corrcoef(returns[a.ticker], returns[b.ticker])[0, 1]
            (same if a.sector == b.sector else other).append(rho)
    assert np.mean(same) > np.mean(other) + 0.15
    assert min(vols) < 0.25 and max(vols) > 0.45


def test_demo_universe_files_stay_small() -> None:
    """Each committed member file is under 160 kB (the whole universe under 4 MB)."""
    sizes = [(PACKAGE_DIR / f"{ticker}.csv").stat().st_size for ticker in MEMBERS]
    assert max(sizes) < 160_000 and sum(sizes) < 4_000_000


def test_demo_index_moves_by_the_mean_member_return_of_the_day(generated: Path) -> None:
    """DEMOIX, recomputed with pandas from the member files as written: each day's close
    ratio is the mean close-to-close ratio of the members with a bar that day and the day
    before, from 1,000; volume is their summed volume; OHLC pass the loader's checks."""
    import pandas as pd

    closes = pd.DataFrame(
        {
            m.ticker: pd.read_csv(generated / f"{m.ticker}.csv", index_col=0)["Close"]
            for m in UNIVERSE
        }
    )
    volumes = pd.DataFrame(
        {
            m.ticker: pd.read_csv(generated / f"{m.ticker}.csv", index_col=0)["Volume"]
            for m in UNIVERSE
        }
    )
    ratios = closes / closes.shift(1)
    mean = ratios.mean(axis=1).fillna(1.0)
    counted = ratios.notna()
    counted.iloc[0] = closes.iloc[0].notna()
    index = load_bars(generated / f"{INDEX_TICKER}.csv")  # runs every quality check
    assert len(index) == len(closes)
    assert np.allclose(index.close, 1_000 * mean.cumprod().to_numpy(), atol=0.006)
    assert np.array_equal(index.volume, volumes.where(counted).sum(axis=1).to_numpy())
    assert load_catalog(generated).info(INDEX_TICKER).sector is None


def test_the_thin_demo_ticker_trades_hundreds_to_thousands_of_shares() -> None:
    """THIN_TICKER's committed bars trade a few hundred to a few thousand shares a day,
    a thousandth of the other demo companies' volume, at a plausible price."""
    thin = load_bars(PACKAGE_DIR / f"{THIN_TICKER}.csv")
    assert thin.volume.min() >= 100 and thin.volume.max() <= 20_000
    assert 500 <= float(np.median(thin.volume)) <= 5_000
    assert thin.close.min() >= 5.0 and thin.close.max() <= 500.0
    for ticker in DEMO:
        if ticker != THIN_TICKER:
            assert np.median(load_bars(PACKAGE_DIR / f"{ticker}.csv").volume) > 100_000, ticker
