"""rules.library.composite: AND/OR combination of sub-rules on a hand-made series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import data
from adapters.metrics import FEW_TRADES
from data import date_range, load_catalog
from data.timeframe import DAILY
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from rules.registry import RULES
from tests.bars import daily_bars

DEMO_DIR = Path(data.__file__).resolve().parent
"""The shipped demo data (data/*.csv and their catalog)."""

DEMO_DAILY = [
    i.ticker for i in load_catalog(DEMO_DIR, user_dir=None).tickers() if i.timeframe == DAILY
]
"""Its daily tickers: ten years each (the shipped catalog alone: read when the module is
collected, before the session's user data folder is set, a developer's own tickers must not
become cases)."""

DOWN_UP = [10, 9, 8, 7, 8, 9, 10, 11]
"""RSI(2, 30, 70): entries on bars 2–3, exits on bars 5–7. MOMENTUM(1, −20, −20): every
one-bar change is within ±15%, so entries on bars 1–7 and no exits."""

SUBS = [
    {"rule_type": "RSI", "params": {"period": 2, "oversold": 30.0, "overbought": 70.0}},
    {
        "rule_type": "MOMENTUM",
        "params": {"period": 1, "entry_threshold": -20.0, "exit_threshold": -20.0},
    },
]


@pytest.mark.parametrize(
    ("operator", "entry_bars", "exit_bars"),
    [("AND", [2, 3], []), ("OR", [1, 2, 3, 4, 5, 6, 7], [5, 6, 7])],
)
def test_operator_combines_sub_rule_signals_bar_by_bar(operator, entry_bars, exit_bars):
    """AND keeps bars where all sub-rules agree, OR bars where any fires."""
    spec = RULES["COMPOSITE"]
    entries, exits = spec.signals(daily_bars(DOWN_UP), {"operator": operator, "rules": SUBS})
    assert np.flatnonzero(entries).tolist() == entry_bars
    assert np.flatnonzero(exits).tolist() == exit_bars


def test_overlays_gather_the_sub_rules_lines():
    """Sub-rules with overlays contribute them; the others add nothing."""
    subs = [*SUBS, {"rule_type": "SMA_CROSS", "params": {"fast": 2, "slow": 3}}]
    lines = RULES["COMPOSITE"].overlays(daily_bars(DOWN_UP), {"operator": "OR", "rules": subs})
    assert list(lines) == ["SMA 2", "SMA 3"]


@pytest.mark.parametrize("ticker", DEMO_DAILY)
def test_the_default_composite_trades_often_on_ten_years_of_demo_data(ticker):
    """COMPOSITE with its defaults, on all of a demo ticker's daily data (2014–2024), makes
    at least FEW_TRADES trades: a default run is no run without the few_trades warning."""
    first, last = date_range(ticker, DEMO_DIR)
    request = parse_request(
        {
            "ticker": ticker, "rule_type": "COMPOSITE", "params": RULES["COMPOSITE"].defaults(),
            "start_date": first, "end_date": last, "charts": False,
        }
    )  # fmt: skip
    trades = execute(request, DEMO_DIR).metrics["num_trades"]
    assert trades >= FEW_TRADES, f"{ticker}: {trades} trades"
