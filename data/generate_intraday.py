"""``python -m data.generate_intraday [--out DIR]``: the seeded hourly demo ticker.

One fictional company, VANDELAY, with hourly bars so the dashboard has intraday data out of
the box: seven bars per NYSE trading day (``data.trading_days``) stamped 14:30 .. 20:30 UTC
(a US session in winter time; no daylight-saving shift), 2023-01-03 to 2024-12-31. Prices
come from the daily demo model (``data.generate.simulate``: regimes, GARCH, Student t
shocks) with its annual drift and volatility spread over 7 × 252 bars a year, so a regime
lasts 60-125 bars (about two weeks). Byte-identical on every run; the catalog entry
(``synthetic: true``, ``timeframe: 1h``, ``market: equity``, ``bars_per_year: 1764``) is
merged into DIR/catalog.json, leaving other tickers alone.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from data.catalog import TickerInfo, load_catalog, save_catalog
from data.files import atomic_write
from data.generate import SEED, DemoTicker, run_command, simulate, to_csv
from data.timeframe import bars_per_year
from data.trading_days import trading_days

TICKER = DemoTicker("VANDELAY", "Vandelay Industries (hourly)", 57.0, 0.30, 0.05, 150_000)
"""The hourly demo ticker (its seed index: ``SEED_INDEX``)."""

SEED_INDEX = 5
"""The hourly ticker's seed index: the one after the five daily tickers it was made with.
Pinned, so appending a daily ticker (``DEMO_TICKERS``) never changes its committed bytes;
the sixth daily ticker (MOSS) draws from the same index's stream, at another length and
scale."""

FIRST_DAY = "2023-01-03"
LAST_DAY = "2024-12-31"

SESSION_UTC = tuple(np.timedelta64(14 * 60 + 30 + 60 * i, "m") for i in range(7))
"""Bar times of a session day (UTC): 14:30, 15:30, ..., 20:30."""

BARS_PER_YEAR = bars_per_year("1h", "equity", len(SESSION_UTC))

DESCRIPTION = (
    "Synthetic hourly demo data for a fictional company, not real market prices: the daily "
    "demo model (regimes, GARCH volatility) on seven bars per NYSE trading day, "
    f"14:30-20:30 UTC (data/generate_intraday.py, seed {SEED})."
)


def session_stamps(first: str, last: str) -> np.ndarray:
    """The bar times (datetime64[s], UTC) of every trading day from ``first`` to ``last``."""
    days = trading_days(first, last).astype("datetime64[m]")
    offsets = np.array(SESSION_UTC, dtype="timedelta64[m]")
    return (days[:, None] + offsets[None, :]).ravel().astype("datetime64[s]")


def generate(out: str | Path | None = None) -> list[Path]:
    """Write VANDELAY.csv and its catalog entry into ``out`` (default: ``data_dir()``);
    returns the written paths (the CSV, then catalog.json)."""
    catalog = load_catalog(out, user_dir=None)
    catalog.data_dir.mkdir(parents=True, exist_ok=True)
    stamps = session_stamps(FIRST_DAY, LAST_DAY)
    path = catalog.data_dir / f"{TICKER.ticker}.csv"
    atomic_write(path, to_csv(stamps, simulate(TICKER, SEED_INDEX, len(stamps), BARS_PER_YEAR)))
    info = TickerInfo(
        TICKER.ticker,
        TICKER.name,
        path.name,
        True,
        DESCRIPTION,
        timeframe="1h",
        market="equity",
        bars_per_year=BARS_PER_YEAR,
    )
    return [path, save_catalog(catalog.with_entry(info))]


FIVE_MINUTE_SESSION = 78
"""Five-minute bars in a US equity session (14:30 .. 20:55 UTC)."""


def five_minute_csv(n_bars: int, first_day: str = "2015-01-02") -> bytes:
    """CSV bytes of ``n_bars`` synthetic five-minute bars of the demo model (VANDELAY's
    parameters over 78 × 252 bars a year), 78 bars per NYSE trading day from ``first_day``:
    a long intraday history for tests and benchmarks to import (``data.register_csv``).
    Byte-identical on every call with the same arguments."""
    return session_csv(n_bars, 5, first_day)


def session_csv(n_bars: int, minutes: int, first_day: str = "2015-01-02") -> bytes:
    """CSV bytes of ``n_bars`` synthetic ``minutes``-minute bars of the demo model (VANDELAY's
    parameters over the session's bars × 252 a year), a US equity session (14:30 .. 21:00
    UTC, 390 / ``minutes`` bars) per NYSE trading day from ``first_day``: e.g. five years of
    one-minute bars (491,400) for the long-run tests and ``bench.long_run_bench``.
    Byte-identical on every call with the same arguments."""
    session = 390 // minutes
    per_year = bars_per_year(f"{minutes}m", "equity", session)
    days = -(-n_bars // session)
    last = np.datetime64(first_day, "D") + days * 2  # enough calendar days for the bars
    stamps = trading_days(first_day, str(last)).astype("datetime64[m]")[:days]
    offsets = np.arange(session) * np.timedelta64(minutes, "m") + np.timedelta64(870, "m")
    stamps = (stamps[:, None] + offsets[None, :]).ravel()[:n_bars].astype("datetime64[s]")
    return to_csv(stamps, simulate(TICKER, SEED_INDEX, len(stamps), per_year))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    return run_command(
        argv,
        "python -m data.generate_intraday",
        "Write the seeded synthetic hourly demo ticker.",
        generate,
    )


if __name__ == "__main__":
    sys.exit(main())
