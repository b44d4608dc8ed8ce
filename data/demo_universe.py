"""The demo universe: 30 fictional companies in six sectors, for portfolio backtests at first
start (written by ``python -m data.generate`` next to the five original demo tickers).

Each sector has a common factor (its own regime-switching GARCH series, ``SECTOR_VOLATILITY``)
that is added to every member's own returns, so members of a sector move together and
sectors take turns leading: a momentum rotation has something to rotate between. The
members differ in volatility (utilities-like 0.16 to biotech-like 0.55 a year), drift and
price; seven are listed after the others (``listed``), so a universe's calendars differ
and a ticker becomes eligible only from its first bar.

One more company, ``DELISTED`` (Dunder Mifflin Paper), declines and is delisted on
``DELISTED_ON`` with ``DELISTING_CASH`` per share (its events file): a portfolio on the demo
universe shows a delisting, and its survivorship audit a difference. It is not one of the
30 ``UNIVERSE`` members, so the index DEMOIX (built from them) keeps its bars. Another,
``PAYER`` (Veridian Dynamics), splits 4:1 on ``SPLIT_ON`` and pays a dividend every quarter
(``DIVIDEND_MONTHS``; its events file): its bars are as traded, so a run on it shows
``price_adjustment`` and the corporate actions on a position. It is not a member either.

Seeds: member ``i`` of ``UNIVERSE`` draws from ``default_rng([SEED, MEMBER_SEED_BASE + i])``,
sector ``s`` of ``SECTORS`` from ``default_rng([SEED, SECTOR_SEED_BASE + s])`` (append,
never reorder: the index is part of the seed), ``DELISTED`` from
``default_rng([SEED, DELISTED_SEED])`` and ``PAYER`` from ``default_rng([SEED, PAYER_SEED])``.
"""

from __future__ import annotations

from dataclasses import dataclass

MEMBER_SEED_BASE = 100
SECTOR_SEED_BASE = 200
DELISTED_SEED = 300
PAYER_SEED = 301

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


_MEMBERS = (
    ("CYBD", "Cyberdyne Systems", TECHNOLOGY, "2014-01-02", 64.0, 0.32, 0.08, 2_900_000),
    ("MSDY", "Massive Dynamic", TECHNOLOGY, "2014-01-02", 142.0, 0.26, 0.06, 1_600_000),
    ("PIPR", "Pied Piper", TECHNOLOGY, "2017-03-01", 18.0, 0.50, 0.10, 4_200_000),
    ("APSC", "Aperture Science", TECHNOLOGY, "2014-01-02", 37.5, 0.38, 0.05, 1_300_000),
    ("TYRL", "Tyrell Corporation", TECHNOLOGY, "2014-01-02", 212.0, 0.24, 0.05, 900_000),
    ("OSCP", "Oscorp", HEALTH_CARE, "2014-01-02", 88.0, 0.30, 0.04, 1_200_000),
    ("ABST", "Abstergo Pharma", HEALTH_CARE, "2014-01-02", 51.0, 0.22, 0.05, 1_000_000),
    ("HLXG", "Helix Genomics", HEALTH_CARE, "2018-06-01", 24.0, 0.55, 0.08, 2_500_000),
    ("VITX", "Vitalix Therapeutics", HEALTH_CARE, "2014-01-02", 31.0, 0.45, 0.03, 1_800_000),
    ("MRCY", "Mercy Hospitals", HEALTH_CARE, "2014-01-02", 72.0, 0.18, 0.04, 700_000),
    ("GRNG", "Gringotts Bank", FINANCIALS, "2014-01-02", 58.0, 0.24, 0.04, 3_100_000),
    ("DUKE", "Duke & Duke", FINANCIALS, "2014-01-02", 96.0, 0.22, 0.03, 1_400_000),
    ("BLTH", "Bluth Company", FINANCIALS, "2014-01-02", 27.0, 0.36, 0.01, 1_100_000),
    ("MNRC", "Monarch Credit", FINANCIALS, "2016-09-01", 40.0, 0.28, 0.05, 900_000),
    ("PNRS", "Pinnacle Reserve", FINANCIALS, "2014-01-02", 120.0, 0.16, 0.03, 600_000),
    ("PTRX", "Petrox Oil", ENERGY, "2014-01-02", 66.0, 0.34, 0.02, 2_200_000),
    ("SLRA", "Solara Power", ENERGY, "2019-02-01", 22.0, 0.48, 0.09, 3_000_000),
    ("NRGX", "Nergex Utilities", ENERGY, "2014-01-02", 45.0, 0.16, 0.03, 800_000),
    ("BLKW", "Blackwell Drilling", ENERGY, "2014-01-02", 33.0, 0.42, 0.00, 1_500_000),
    ("GLFN", "Gulf Northern Pipelines", ENERGY, "2014-01-02", 54.0, 0.20, 0.03, 700_000),
    ("WNKA", "Wonka Industries", CONSUMER, "2014-01-02", 48.0, 0.24, 0.05, 1_900_000),
    ("DUFF", "Duff Beverages", CONSUMER, "2014-01-02", 36.0, 0.20, 0.04, 1_300_000),
    ("BRWN", "Brawndo", CONSUMER, "2020-01-02", 15.0, 0.52, 0.06, 2_800_000),
    ("KRST", "Krusty Brands", CONSUMER, "2014-01-02", 29.0, 0.30, 0.02, 1_000_000),
    ("NKTM", "Nakatomi Trading", CONSUMER, "2015-05-01", 81.0, 0.26, 0.04, 900_000),
    ("STRK", "Stark Industries", INDUSTRIALS, "2014-01-02", 175.0, 0.28, 0.07, 2_000_000),
    ("WAYN", "Wayne Enterprises", INDUSTRIALS, "2014-01-02", 134.0, 0.22, 0.05, 1_500_000),
    ("SPCL", "Spacely Sprockets", INDUSTRIALS, "2014-01-02", 42.0, 0.30, 0.03, 1_100_000),
    ("CGSW", "Cogswell Cogs", INDUSTRIALS, "2021-03-01", 26.0, 0.40, 0.04, 1_200_000),
    ("TRCL", "Tricell Logistics", INDUSTRIALS, "2014-01-02", 61.0, 0.25, 0.03, 800_000),
)
"""Each member's ticker, name, sector, first bar's day, price, volatility, drift and volume, in
seed order (append, never reorder)."""

UNIVERSE = tuple(UniverseTicker(*member) for member in _MEMBERS)
"""The members, in seed order."""

DELISTED = UniverseTicker(
    "DNDR", "Dunder Mifflin Paper", CONSUMER, "2014-01-02", 38.0, 0.40, -0.30, 1_200_000
)
"""The demo company that is delisted mid-history (not a member of ``UNIVERSE``)."""

DELISTED_ON = "2021-06-15"
"""Its last trading day and the date of its delisting event."""

DELISTING_CASH = 0.4
"""The cash its holders are paid per share at the delisting."""

PAYER = UniverseTicker(
    "VRDN", "Veridian Dynamics", TECHNOLOGY, "2014-01-02", 41.0, 0.24, 0.10, 1_400_000
)
"""The demo company that splits and pays dividends (not a member of ``UNIVERSE``)."""

SPLIT_ON = "2020-08-31"
"""The ex-date of its split: the first bar traded at a quarter of the price before."""

SPLIT_RATIO = 4
"""New shares per old share of that split."""

DIVIDEND_MONTHS = (2, 5, 8, 11)
"""Its dividends go ex on the first trading day of these months."""

DIVIDEND_YIELD = 0.005
"""Each dividend, as a fraction of the close before its ex-date (rounded to cents)."""
