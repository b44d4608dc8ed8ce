"""Parity of a portfolio of rules (``engine.portfolio.simulate_signals``) with vectorbt 1.2.0's
grouped, cash-sharing ``Portfolio.from_signals`` on the demo universe (docs/execution.md, "A
portfolio of rules"): each of the 30 demo companies (seven listed late) traded by its own
rule's signals, computed as a portfolio Job computes them; equity on every bar within 1e-9
relative and the same orders (bar, ticker, shares, price, fee) in the same sequence.

vectorbt runs from ``.venv-bench`` (VECTORBT_PYTHON): never skipped; without it the test
fails saying how to install it. vectorbt's options: the signals moved to their fill bar,
``price`` = that bar's open, ``size_type="percent"`` (of the cash at the order),
``direction="longonly"``, ``accumulate=False``, ``group_by=True``, ``cash_sharing=True``,
``call_seq="auto"``, ``size_granularity=1``, its ``fees``, ``fixed_fees`` and ``slippage``.
vectorbt records an order of 0 shares where the cash left buys not one share (we record
none): the comparison drops those.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from data.demo_universe import UNIVERSE
from engine.portfolio import PortfolioConfig, rule_costs, simulate_signals
from engine.portfolio.prices import last_close
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.rule_signals import aligned_range, aligned_signals
from kinds.portfolios.universe import load_universe
from tests.engine.portfolio_peer import run_vectorbt

RELATIVE = 1e-9
CHILD = Path(__file__).with_name("portfolio_signals_vectorbt.py")
TICKERS = [member.ticker for member in UNIVERSE]

CASES = (
    ({"rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 40}}, 0.001, 0.0, 5.0, None),
    ({"rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 20}}, 0.0005, 1.0, 0.0, 20.0),
    ({"rule_type": "RSI", "params": None}, 0.002, 0.0, 10.0, 50.0),
    ({"rule_type": "MACD", "params": None}, 0.001, 2.5, 5.0, 100.0),
)
"""(rule, fee_rate, fee_fixed, slippage_bps, position_size percent; None = 100 / N)."""


def _case(index: int) -> dict:
    rule, fee_rate, fee_fixed, slippage_bps, size = CASES[index]
    strategy = dict(rule, fee_fixed=fee_fixed or None)
    if size is not None:
        strategy.update(size_type="percent", position_size=size)
    request = parse_portfolio(
        {
            "tickers": TICKERS,
            "start_date": "2015-01-01",
            "end_date": "2021-12-31",
            "fee_rate": fee_rate,
            "slippage_bps": slippage_bps,
            "allocation": {"method": "rules"},
            "strategy": strategy,
        }
    )
    universe = load_universe(request)
    entries, exits = aligned_signals(request["strategy"], universe)
    high, low = aligned_range(universe)
    config = PortfolioConfig(
        initial_capital=request["initial_capital"], fee_rate=fee_rate, slippage_bps=slippage_bps
    )
    costs = rule_costs(
        config, position_size=request["strategy"]["position_size"], fee_fixed=fee_fixed
    )
    ours = simulate_signals(universe.open, high, low, universe.close, entries, exits, config, costs)
    close = universe.close
    previous = np.vstack([np.full((1, close.shape[1]), np.nan), last_close(close)[:-1]])
    moved = np.zeros_like(entries)
    moved_exits = np.zeros_like(exits)
    moved[1:], moved_exits[1:] = entries[:-1], exits[:-1]
    peer = {
        "open": universe.open,
        "close": close,
        "entries": moved,
        "exits": moved_exits,
        "val_price": np.where(np.isfinite(close), universe.open, previous),
        "size": np.array(request["strategy"]["position_size"] / 100.0),
        "init_cash": np.array(request["initial_capital"]),
        "fees": np.array(fee_rate),
        "fixed_fees": np.array(fee_fixed),
        "slippage": np.array(slippage_bps / 10_000.0),
    }
    late = int((~np.isfinite(close[0])).sum())
    return {"label": f"{rule['rule_type']} case {index}", "ours": ours, "peer": peer, "late": late}


@pytest.fixture(scope="module")
def compared() -> list[tuple[dict, dict]]:
    cases = [_case(index) for index in range(len(CASES))]
    peers = run_vectorbt([case["peer"] for case in cases], child=CHILD)
    return list(zip(cases, peers, strict=True))


@pytest.mark.parametrize("index", range(len(CASES)))
def test_equity_on_every_bar_equals_vectorbt_from_signals(compared, index):
    """Within 1e-9 relative on every bar of the demo universe, vectorbt 1.2.0."""
    case, peer = compared[index]
    assert str(peer["version"]) == "1.2.0"
    assert case["late"] > 0  # some companies list inside the window
    deviation = np.abs(case["ours"].equity - peer["value"]) / np.abs(peer["value"])
    worst = int(deviation.argmax())
    assert deviation[worst] <= RELATIVE, f"{case['label']}: bar {worst}"


@pytest.mark.parametrize("index", range(len(CASES)))
def test_orders_equal_vectorbts_bar_ticker_shares_price_and_fee(compared, index):
    """Same orders in the same sequence (vectorbt's 0-share records aside), and many."""
    case, peer = compared[index]
    orders = case["ours"].orders
    filled = peer["shares"] != 0
    assert len(orders) > 100, case["label"]
    assert orders.bar.tolist() == peer["bar"][filled].tolist(), case["label"]
    assert orders.asset.tolist() == peer["asset"][filled].tolist(), case["label"]
    assert orders.shares.tolist() == peer["shares"][filled].astype(np.int64).tolist()
    np.testing.assert_allclose(orders.price, peer["price"][filled], rtol=RELATIVE)
    np.testing.assert_allclose(orders.fee, peer["fee"][filled], rtol=RELATIVE, atol=1e-12)
