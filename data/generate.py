"""``python -m data.generate [--out DIR]``: the seeded generator of the committed demo data.

Six fictional companies (one of them, ``THIN_TICKER``, thinly traded: a few hundred to a few
thousand shares a day), daily bars on NYSE trading days (weekdays minus the exchange's
holidays and closures, ``data.trading_days``) from 2014-01-02 to 2024-12-31, in the Yahoo
layout with prices rounded to cents (``Adj Close`` = ``Close``: no dividends). Prices follow
a geometric Brownian motion whose drift and volatility switch between bull, sideways and
bear regimes (a Markov chain, average regime length 60-125 days), with GARCH(1,1)
volatility clustering and fat-tailed (Student t, 5 d.o.f.) shocks, so trend and
mean-reversion rules both find trades. Opens gap from the previous close; highs/lows extend
beyond the open/close by a volatility-scaled amount; volume rises with the size of the
move. Each ticker draws from ``numpy.random.default_rng([SEED, i])``, so the output is
byte-identical on every run (with the pinned numpy). The catalog entries
(``synthetic: true``) are merged into DIR/catalog.json, leaving other tickers alone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.catalog import Catalog, TickerInfo, load_catalog, save_catalog
from data.demo_index import (
    INDEX_NAME,
    INDEX_TICKER,
    MEMBERS_FILE,
    equal_weight_index,
    membership_text,
)
from data.demo_universe import (
    DELISTED,
    DELISTED_ON,
    DELISTED_SEED,
    DELISTING_CASH,
    DIVIDEND_MONTHS,
    DIVIDEND_YIELD,
    MEMBER_SEED_BASE,
    PAYER,
    PAYER_SEED,
    SECTOR_SEED_BASE,
    SECTOR_VOLATILITY,
    SECTORS,
    SPLIT_ON,
    SPLIT_RATIO,
    UNIVERSE,
    UniverseTicker,
)
from data.events import DELISTING, DIVIDEND, EVENTS_SUFFIX, SPLIT, Event, format_events
from data.files import atomic_write
from data.location import data_dir
from data.trading_days import trading_days

SEED = 20_140_102
"""Base seed of the demo data; ticker i uses ``default_rng([SEED, i])``."""

FIRST_DAY = "2014-01-02"
LAST_DAY = "2024-12-31"

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"

DESCRIPTION = (
    "Synthetic demo data for a fictional company, not real market prices: geometric "
    "Brownian motion with bull/sideways/bear regimes and GARCH volatility clustering "
    f"(data/generate.py, seed {SEED})."
)

UNIVERSE_DESCRIPTION = (
    "Synthetic demo data for a fictional company of the demo universe, not real market "
    "prices: its sector's common factor plus its own regime-switching GARCH returns "
    f"(data/generate.py, data/demo_universe.py, seed {SEED})."
)


DELISTED_DESCRIPTION = (
    "Synthetic demo data for a fictional company of the demo universe, not real market "
    "prices: its sector's common factor plus its own declining regime-switching GARCH "
    f"returns, delisted on {DELISTED_ON} at {DELISTING_CASH} per share (its events file; "
    f"data/generate.py, data/demo_universe.py, seed {SEED})."
)

PAYER_DESCRIPTION = (
    "Synthetic demo data for a fictional company of the demo universe, not real market "
    "prices: its sector's common factor plus its own regime-switching GARCH returns, as "
    f"traded: a {SPLIT_RATIO}:1 split on {SPLIT_ON} and a dividend every quarter (its events "
    f"file; data/generate.py, data/demo_universe.py, seed {SEED})."
)

THIN_DESCRIPTION = (
    "Synthetic demo data for a thinly traded fictional company, not real market prices: "
    "the demo model (data/generate.py, seed 20140102) with a typical volume of 1,500 shares "
    "a day, for capacity curves and volume limits."
)
INDEX_DESCRIPTION = (
    "Synthetic demo data, not real market prices: an equal-weight index of the 30 fictional "
    "companies of the demo universe, for ref() market filters (data/demo_index.py)."
)


@dataclass(frozen=True)
class DemoTicker:
    """One fictional company: start price, annual volatility and drift, typical volume."""

    ticker: str
    name: str
    price: float
    volatility: float
    drift: float
    volume: float
    description: str = DESCRIPTION


DEMO_TICKERS = (
    DemoTicker("ACME", "Acme Corporation", 42.0, 0.28, 0.06, 2_400_000),
    DemoTicker("GLOBEX", "Globex Corporation", 118.0, 0.22, 0.04, 1_100_000),
    DemoTicker("HOOLI", "Hooli", 310.0, 0.34, 0.09, 3_500_000),
    DemoTicker("INITECH", "Initech", 23.5, 0.30, 0.02, 800_000),
    DemoTicker("UMBRELLA", "Umbrella Corporation", 76.0, 0.38, 0.03, 1_700_000),
    DemoTicker("MOSS", "Mossgrove Mills", 18.0, 0.32, 0.05, 1_500, THIN_DESCRIPTION),
)
"""The demo tickers, in seed order (their index is part of the seed: append, never reorder).
MOSS is the thinly traded one (``THIN_TICKER``)."""
THIN_TICKER = "MOSS"
"""The demo ticker whose typical volume is 1,500 shares a day: a volume limit binds on it
from a small capital on (docs/capacity.md)."""

REGIME_DRIFT = np.array([0.25, 0.02, -0.30])
"""Annual drift added in the bull, sideways and bear regimes."""

REGIME_VOL = np.array([0.8, 1.0, 1.5])
"""Volatility multiplier in the bull, sideways and bear regimes."""

REGIME_TRANSITIONS = np.array(
    [
        [0.992, 0.006, 0.002],
        [0.006, 0.988, 0.006],
        [0.006, 0.010, 0.984],
    ]
)
"""Daily regime transition probabilities (row: from bull/sideways/bear). Mean regime
lengths: bull 125, sideways 83, bear 62 trading days."""

GARCH_ALPHA, GARCH_BETA = 0.08, 0.90
"""GARCH(1,1) weights of the last squared shock and of the last variance."""

T_DOF = 5
"""Degrees of freedom of the Student t shocks (scaled to unit variance)."""


def _regimes(rng: np.random.Generator, n: int) -> np.ndarray:
    """A Markov chain of regimes 0/1/2 (bull/sideways/bear), starting sideways."""
    cumulative = np.cumsum(REGIME_TRANSITIONS, axis=1)
    draws = rng.random(n)
    states = np.empty(n, dtype=np.int64)
    state = 1
    for t in range(n):
        states[t] = state
        state = min(int(np.searchsorted(cumulative[state], draws[t], side="right")), 2)
    return states


def _log_returns(
    spec: DemoTicker, rng: np.random.Generator, n: int, bars_per_year: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` log returns of ``spec``'s regime-switching GARCH model, their conditional
    variances and their shocks; draws the regimes, then the shocks, from ``rng``."""
    regime = _regimes(rng, n)
    shocks = rng.standard_t(T_DOF, size=n) / np.sqrt(T_DOF / (T_DOF - 2))
    target = (spec.volatility * REGIME_VOL[regime]) ** 2 / bars_per_year
    variance = np.empty(n)
    eps = np.empty(n)
    var, last = target[0], 0.0
    for t in range(n):
        var = (
            (1.0 - GARCH_ALPHA - GARCH_BETA) * target[t] + GARCH_ALPHA * last**2 + GARCH_BETA * var
        )
        variance[t] = var
        last = np.sqrt(var) * shocks[t]
        eps[t] = last
    returns = (spec.drift + REGIME_DRIFT[regime]) / bars_per_year - 0.5 * variance + eps
    return returns, variance, eps


def simulate(
    spec: DemoTicker,
    index: int,
    n: int,
    bars_per_year: float = 252.0,
    common: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """``n`` bars of OHLCV for ``spec`` (prices in cents precision, integer volume); the
    annual drift and volatility are spread over ``bars_per_year`` bars (252 daily bars).
    ``common`` (``n`` log returns, e.g. a sector's) is added to the ticker's own returns."""
    rng = np.random.default_rng([SEED, index])
    returns, variance, eps = _log_returns(spec, rng, n, bars_per_year)
    gap_z, high_z, low_z, volume_z = rng.standard_normal((4, n))
    sigma = np.sqrt(variance)
    if common is not None:
        returns = returns + common

    close = spec.price * np.exp(np.cumsum(returns))
    previous = np.concatenate(([spec.price], close[:-1]))
    open_ = previous * np.exp(0.3 * sigma * gap_z)
    high = np.maximum(open_, close) * np.exp(0.6 * sigma * np.abs(high_z))
    low = np.minimum(open_, close) * np.exp(-0.6 * sigma * np.abs(low_z))

    open_, close = np.round(open_, 2), np.round(close, 2)
    high = np.maximum(np.round(high, 2), np.maximum(open_, close))
    low = np.minimum(np.round(low, 2), np.minimum(open_, close))
    volume = np.rint(spec.volume * np.exp(0.3 * volume_z) * (1.0 + 0.5 * np.abs(eps) / sigma))
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def sector_factors(n: int, bars_per_year: float = 252.0) -> dict[str, np.ndarray]:
    """``n`` daily log returns of each sector's common factor (``data.demo_universe``): the
    regime-switching GARCH model with ``SECTOR_VOLATILITY`` and no drift of its own."""
    factors = {}
    for index, sector in enumerate(SECTORS):
        spec = DemoTicker(sector, sector, 1.0, SECTOR_VOLATILITY, 0.0, 0.0)
        rng = np.random.default_rng([SEED, SECTOR_SEED_BASE + index])
        factors[sector] = _log_returns(spec, rng, n, bars_per_year)[0]
    return factors


def to_csv(days: np.ndarray, bars: dict[str, np.ndarray]) -> bytes:
    """Yahoo-layout CSV bytes (``\\n`` line ends, prices to cents, Adj Close = Close)."""
    lines = [HEADER]
    for day, o, h, lo, c, v in zip(
        days.astype(str),
        bars["open"],
        bars["high"],
        bars["low"],
        bars["close"],
        bars["volume"],
        strict=True,
    ):
        lines.append(f"{day},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{c:.2f},{v:.0f}")
    return ("\n".join(lines) + "\n").encode()


def generate(out: str | Path | None = None) -> list[Path]:
    """Write the demo CSVs and their catalog entries into ``out`` (default: ``data_dir()``);
    returns the written paths (CSVs, then catalog.json)."""
    catalog: Catalog = load_catalog(out, user_dir=None)
    catalog.data_dir.mkdir(parents=True, exist_ok=True)
    days = trading_days(FIRST_DAY, LAST_DAY)
    written = []
    for index, spec in enumerate(DEMO_TICKERS):
        path = catalog.data_dir / f"{spec.ticker}.csv"
        atomic_write(path, to_csv(days, simulate(spec, index, len(days))))
        written.append(path)
        catalog = catalog.with_entry(
            TickerInfo(spec.ticker, spec.name, path.name, True, spec.description)
        )
    factors = sector_factors(len(days))
    members = []
    for index, member in enumerate(UNIVERSE):
        first = int(np.searchsorted(days, np.datetime64(member.listed)))
        spec = DemoTicker(
            member.ticker,
            member.name,
            member.price,
            member.volatility,
            member.drift,
            member.volume,
        )
        bars = simulate(
            spec, MEMBER_SEED_BASE + index, len(days) - first, common=factors[member.sector][first:]
        )
        path = catalog.data_dir / f"{member.ticker}.csv"
        atomic_write(path, to_csv(days[first:], bars))
        written.append(path)
        members.append((first, bars))
        catalog = catalog.with_entry(
            TickerInfo(
                member.ticker,
                member.name,
                path.name,
                True,
                UNIVERSE_DESCRIPTION,
                sector=member.sector,
            )
        )
    path = catalog.data_dir / f"{INDEX_TICKER}.csv"
    atomic_write(path, to_csv(days, equal_weight_index(members, len(days))))
    written.append(path)
    catalog, delisted = _delisted(catalog, days, factors, written)
    catalog = _dividend_payer(catalog, days, factors, written)
    listed = [(member.ticker, member.listed) for member in UNIVERSE]
    members_path = catalog.data_dir / MEMBERS_FILE
    atomic_write(members_path, membership_text(listed, delisted).encode())
    written.append(members_path)
    catalog = catalog.with_entry(
        TickerInfo(
            INDEX_TICKER,
            INDEX_NAME,
            path.name,
            True,
            INDEX_DESCRIPTION,
            index=True,
            members=MEMBERS_FILE,
        )
    )
    written.append(save_catalog(catalog))
    return written


def _with_events(
    catalog: Catalog,
    member: UniverseTicker,
    days: np.ndarray,
    bars: dict[str, np.ndarray],
    events: list[Event],
    description: str,
    written: list[Path],
) -> Catalog:
    """Write ``member``'s bars (on ``days``) and its events file; returns the catalog with
    its entry naming both."""
    path = catalog.data_dir / f"{member.ticker}.csv"
    atomic_write(path, to_csv(days, bars))
    events_path = catalog.data_dir / f"{member.ticker}{EVENTS_SUFFIX}"
    atomic_write(events_path, format_events(sorted(events, key=lambda e: e.day)).encode())
    written += [path, events_path]
    info = TickerInfo(
        member.ticker,
        member.name,
        path.name,
        True,
        description,
        sector=member.sector,
        events=events_path.name,
    )
    return catalog.with_entry(info)


def _delisted(
    catalog: Catalog, days: np.ndarray, factors: dict[str, np.ndarray], written: list[Path]
) -> tuple[Catalog, tuple[str, str, str]]:
    """Write the delisted demo company's bars (its first day to ``DELISTED_ON``) and its
    events file; returns the catalog with its entry and (ticker, first day, last day). Not
    an input of DEMOIX: the index's bars stay those of the 30 members."""
    member = DELISTED
    first = int(np.searchsorted(days, np.datetime64(member.listed)))
    stop = int(np.searchsorted(days, np.datetime64(DELISTED_ON), side="right"))
    spec = DemoTicker(
        member.ticker, member.name, member.price, member.volatility, member.drift, member.volume
    )
    bars = simulate(spec, DELISTED_SEED, stop - first, common=factors[member.sector][first:stop])
    delisting = Event(np.datetime64(DELISTED_ON, "D").item(), DELISTING, DELISTING_CASH)
    catalog = _with_events(
        catalog, member, days[first:stop], bars, [delisting], DELISTED_DESCRIPTION, written
    )
    return catalog, (member.ticker, member.listed, DELISTED_ON)


def _dividend_payer(
    catalog: Catalog, days: np.ndarray, factors: dict[str, np.ndarray], written: list[Path]
) -> Catalog:
    """Write the demo company that splits and pays dividends: its bars as traded (every
    price before the split's ex-bar ``SPLIT_RATIO`` times the simulated one, its volume
    divided by it) and its events file; returns the catalog with its entry. Not an input of
    DEMOIX."""
    member = PAYER
    first = int(np.searchsorted(days, np.datetime64(member.listed)))
    spec = DemoTicker(
        member.ticker, member.name, member.price, member.volatility, member.drift, member.volume
    )
    bars = simulate(spec, PAYER_SEED, len(days) - first, common=factors[member.sector][first:])
    own = days[first:]
    split_bar = int(np.searchsorted(own, np.datetime64(SPLIT_ON)))
    for name in ("open", "high", "low", "close"):
        bars[name] = np.round(bars[name], 2)
        bars[name][:split_bar] *= SPLIT_RATIO
    bars["volume"] = bars["volume"].copy()
    bars["volume"][:split_bar] = np.round(bars["volume"][:split_bar] / SPLIT_RATIO)
    events = [Event(own[split_bar].astype("datetime64[D]").item(), SPLIT, float(SPLIT_RATIO))]
    months = own.astype("datetime64[M]")
    for bar in np.flatnonzero(months[1:] != months[:-1]) + 1:
        if int(str(months[bar])[5:7]) in DIVIDEND_MONTHS:
            amount = round(DIVIDEND_YIELD * float(bars["close"][bar - 1]), 2)
            events.append(Event(own[bar].astype("datetime64[D]").item(), DIVIDEND, amount))
    return _with_events(catalog, member, own, bars, events, PAYER_DESCRIPTION, written)


def run_command(
    argv: Sequence[str] | None, prog: str, description: str, write: Callable[[Path | None], list]
) -> int:
    """A generator command: parse ``--out``, call ``write(out)``, print the written paths."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--out", type=Path, help=f"output directory (default: {data_dir()})")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    return run_command(
        argv, "python -m data.generate", "Write the seeded synthetic demo data.", generate
    )


if __name__ == "__main__":
    sys.exit(main())
