"""A portfolio of rules' speed: ``simulate_signals`` against vectorbt's warm grouped,
cash-sharing ``from_signals``, same run.

    .venv/bin/python -m bench.portfolio_signals_bench [--repeat 5]

100 and 500 tickers x 2,520 synthetic daily bars (``tests.engine.portfolio_universe``, a
fixed seed, a fifth listed late), each traded by a 10/40 moving-average cross (its entries
and exits computed once, outside the timing), 5 % of the cash an entry, fee 0.001,
slippage 5 bps, no stops (vectorbt's differ: docs/execution.md, "A portfolio of rules").
Ours: best wall time of ``--repeat`` calls after one warm-up, in this process. vectorbt
1.2.0 (``tests/engine/portfolio_signals_vectorbt.py`` in VECTORBT_PYTHON): ``from_signals``
and ``value()``, its numba compiled by a first call that is not counted, best of
``--repeat``. The equities must agree to 1e-9. Also ours with a stop-loss, a take-profit
and a trailing stop, which vectorbt is not asked for. No goal yet: the walk is Python over
the bars (numpy masks a bar, one broker call an order); the figures say where a compiled
walk would start to pay.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from engine.broker.stops import Stops
from engine.portfolio import PortfolioConfig, rule_costs, simulate_signals
from engine.portfolio.prices import last_close
from tests.engine.portfolio_peer import run_vectorbt
from tests.engine.portfolio_universe import random_universe

SEED = 54
BARS = 2_520
CONFIG = PortfolioConfig(initial_capital=1_000_000.0, fee_rate=0.001, slippage_bps=5.0)
SIZE = 5.0
"""Percent of the cash an entry spends."""
CHILD = "portfolio_signals_vectorbt.py"


def _average(close: np.ndarray, n: int) -> np.ndarray:
    filled = np.nan_to_num(last_close(close), nan=0.0)
    total = np.cumsum(filled, axis=0)
    out = np.full(close.shape, np.nan)
    out[n - 1 :] = (total[n - 1 :] - np.vstack([np.zeros((1, close.shape[1])), total[:-n]])) / n
    return out


def market(n_tickers: int) -> tuple:
    """The universe and its 10/40 cross signals (on the closes held forward)."""
    universe = random_universe(np.random.default_rng(SEED), BARS, n_tickers, late_share=0.2)
    close = universe.close
    above = _average(close, 10) > _average(close, 40)
    has_bar = np.isfinite(close)
    entries = above & ~np.vstack([above[:1], above[:-1]]) & has_bar
    exits = ~above & np.vstack([above[:1], above[:-1]]) & has_bar
    high = np.fmax(universe.open_, close) * 1.01
    low = np.fmin(universe.open_, close) * 0.99
    return universe, entries, exits, high, low


def ours(universe, entries, exits, high, low, repeat: int, stops: Stops | None):
    costs = rule_costs(CONFIG, position_size=SIZE)
    args = (universe.open_, high, low, universe.close, entries, exits, CONFIG, costs, stops)
    simulate_signals(*args)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = simulate_signals(*args)
        best = min(best, time.perf_counter() - started)
    return best, result


def peer_case(universe, entries, exits) -> dict:
    close = universe.close
    previous = np.vstack([np.full((1, close.shape[1]), np.nan), last_close(close)[:-1]])
    moved, moved_exits = np.zeros_like(entries), np.zeros_like(exits)
    moved[1:], moved_exits[1:] = entries[:-1], exits[:-1]
    return {
        "open": universe.open_,
        "close": close,
        "entries": moved,
        "exits": moved_exits,
        "val_price": np.where(np.isfinite(close), universe.open_, previous),
        "size": np.array(SIZE / 100.0),
        "init_cash": np.array(CONFIG.initial_capital),
        "fees": np.array(CONFIG.fee_rate),
        "fixed_fees": np.array(0.0),
        "slippage": np.array(CONFIG.slippage_bps / 10_000.0),
    }


def main() -> None:
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    child = Path(__file__).resolve().parents[1] / "tests/engine" / CHILD
    for n_tickers in (100, 500):
        universe, entries, exits, high, low = market(n_tickers)
        seconds, result = ours(universe, entries, exits, high, low, repeat, None)
        (peer,) = run_vectorbt([peer_case(universe, entries, exits)], repeat, child)
        deviation = float(np.max(np.abs(result.equity - peer["value"]) / peer["value"]))
        stopped, _ = ours(universe, entries, exits, high, low, repeat, Stops(0.08, 0.2, 0.1))
        print(
            f"{n_tickers} tickers x {BARS} bars, {len(result.orders)} orders: ours "
            f"{seconds * 1000:7.1f} ms, vectorbt from_signals {peer['seconds'] * 1000:7.1f} ms "
            f"({seconds / peer['seconds']:.2f}x), equity deviation {deviation:.1e}; ours with "
            f"stops {stopped * 1000:7.1f} ms"
        )
        assert deviation <= 1e-9


if __name__ == "__main__":
    main()
