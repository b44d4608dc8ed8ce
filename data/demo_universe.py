"""The demo universe: 30 fictional companies in six sectors, for portfolio backtests at first
start (written by ``python -m data.generate`` next to the five original demo tickers).

Each sector has a common factor (its own regime-switching GARCH series, ``SECTOR_VOLATILITY``)
that is added to every member's own returns, so members of a sector move together and
sectors take turns leading: a momentum rotation has something to rotate between. The
members differ in volatility (utilities-like 0.16 to biotech-like 0.55 a year), drift and
price; seven are listed after the others (``listed``), so a universe's calendars differ
and a ticker becomes eligible only from its first bar.

Seeds: member ``i`` of ``UNIVERSE`` draws from ``default_rng([SEED, MEMBER_SEED_BASE + i])``
and sector ``s`` of ``SECTORS`` from ``default_rng([SEED, SECTOR_SEED_BASE + s])`` (append,
never reorder: the index is part of the seed).
"""

from __future__ import annotations

from dataclasses import dataclass

MEMBER_SEED_BASE = 100
SECTOR_SEED_BASE = 200

SECTOR_VOLATILITY = 0.15
"""Annual volatility of a sector's common factor (its drift is zero)."""

SECTORS = ("Technology", "Health Care", "Financials", "Energy", "Consumer", "Industrials")
"""The sectors, in seed order."""

TECHNOLOGY, HEALTH_CARE, FINANCIALS, ENERGY, CONSUMER, INDUSTRIALS = SECTORS


@dataclass(frozen=True)
class UniverseTicker:
    """One fictional company of the demo universe: its sector, the day of its first bar,
    and the parameters of ``data.generate.DemoTicker`` (own volatility and drift on top
    of the sector's factor)."""

    ticker: str
    name: str
    sector: str
    listed: str
    price: float
    volatility: float
    drift: float
    volume: float


_FIRST = "2014-01-02"

UNIVERSE = (
    UniverseTicker("CYBD", "Cyberdyne Systems", TECHNOLOGY, _FIRST, 64.0, 0.32, 0.08, 2_900_000),
    UniverseTicker("MSDY", "Massive Dynamic", TECHNOLOGY, _FIRST, 142.0, 0.26, 0.06, 1_600_000),
    UniverseTicker("PIPR", "Pied Piper", TECHNOLOGY, "2017-03-01", 18.0, 0.50, 0.10, 4_200_000),
    UniverseTicker("APSC", "Aperture Science", TECHNOLOGY, _FIRST, 37.5, 0.38, 0.05, 1_300_000),
    UniverseTicker("TYRL", "Tyrell Corporation", TECHNOLOGY, _FIRST, 212.0, 0.24, 0.05, 900_000),
    UniverseTicker("OSCP", "Oscorp", HEALTH_CARE, _FIRST, 88.0, 0.30, 0.04, 1_200_000),
    UniverseTicker("ABST", "Abstergo Pharma", HEALTH_CARE, _FIRST, 51.0, 0.22, 0.05, 1_000_000),
    UniverseTicker(
        "HLXG", "Helix Genomics", HEALTH_CARE, "2018-06-01", 24.0, 0.55, 0.08, 2_500_000
    ),
    UniverseTicker(
        "VITX", "Vitalix Therapeutics", HEALTH_CARE, _FIRST, 31.0, 0.45, 0.03, 1_800_000
    ),
    UniverseTicker("MRCY", "Mercy Hospitals", HEALTH_CARE, _FIRST, 72.0, 0.18, 0.04, 700_000),
    UniverseTicker("GRNG", "Gringotts Bank", FINANCIALS, _FIRST, 58.0, 0.24, 0.04, 3_100_000),
    UniverseTicker("DUKE", "Duke & Duke", FINANCIALS, _FIRST, 96.0, 0.22, 0.03, 1_400_000),
    UniverseTicker("BLTH", "Bluth Company", FINANCIALS, _FIRST, 27.0, 0.36, 0.01, 1_100_000),
    UniverseTicker("MNRC", "Monarch Credit", FINANCIALS, "2016-09-01", 40.0, 0.28, 0.05, 900_000),
    UniverseTicker("PNRS", "Pinnacle Reserve", FINANCIALS, _FIRST, 120.0, 0.16, 0.03, 600_000),
    UniverseTicker("PTRX", "Petrox Oil", ENERGY, _FIRST, 66.0, 0.34, 0.02, 2_200_000),
    UniverseTicker("SLRA", "Solara Power", ENERGY, "2019-02-01", 22.0, 0.48, 0.09, 3_000_000),
    UniverseTicker("NRGX", "Nergex Utilities", ENERGY, _FIRST, 45.0, 0.16, 0.03, 800_000),
    UniverseTicker("BLKW", "Blackwell Drilling", ENERGY, _FIRST, 33.0, 0.42, 0.00, 1_500_000),
    UniverseTicker("GLFN", "Gulf Northern Pipelines", ENERGY, _FIRST, 54.0, 0.20, 0.03, 700_000),
    UniverseTicker("WNKA", "Wonka Industries", CONSUMER, _FIRST, 48.0, 0.24, 0.05, 1_900_000),
    UniverseTicker("DUFF", "Duff Beverages", CONSUMER, _FIRST, 36.0, 0.20, 0.04, 1_300_000),
    UniverseTicker("BRWN", "Brawndo", CONSUMER, "2020-01-02", 15.0, 0.52, 0.06, 2_800_000),
    UniverseTicker("KRST", "Krusty Brands", CONSUMER, _FIRST, 29.0, 0.30, 0.02, 1_000_000),
    UniverseTicker("NKTM", "Nakatomi Trading", CONSUMER, "2015-05-01", 81.0, 0.26, 0.04, 900_000),
    UniverseTicker("STRK", "Stark Industries", INDUSTRIALS, _FIRST, 175.0, 0.28, 0.07, 2_000_000),
    UniverseTicker("WAYN", "Wayne Enterprises", INDUSTRIALS, _FIRST, 134.0, 0.22, 0.05, 1_500_000),
    UniverseTicker("SPCL", "Spacely Sprockets", INDUSTRIALS, _FIRST, 42.0, 0.30, 0.03, 1_100_000),
    UniverseTicker("CGSW", "Cogswell Cogs", INDUSTRIALS, "2021-03-01", 26.0, 0.40, 0.04, 1_200_000),
    UniverseTicker("TRCL", "Tricell Logistics", INDUSTRIALS, _FIRST, 61.0, 0.25, 0.03, 800_000),
)
"""The members, in seed order (append, never reorder)."""
