"""Parity of corporate actions on a position with vectorbt 1.2.0 on total-return-adjusted
prices (docs/execution.md, "Corporate actions on a position"), on 50 random event sets.

A holder of n shares through a split of ratio r has n × r shares at prices divided by r,
and through a cash dividend d keeps n shares and receives n × d; on Yahoo's total-return
prices (``data.adjust.total_return_adjusted``) the same holding is n / f shares of the
adjusted series (f the bar's price factor), which, through a dividend, is worth n shares plus
n × d / (c − d) shares (c the close before the ex-date). So:

* **Exact** (1e-9 relative on every bar): vectorbt's ``from_orders`` on the adjusted closes
  with fractional shares, given our fills in adjusted shares (Δn / f at the fill price × f,
  our fee as its fixed fee) and each event's cash as a fee-free order of −cash / price: a
  dividend paid out by selling (a short: buying) shares at the adjusted close before the
  ex-date, (c − d) × f; the cash in lieu of a split's fraction at the ex-bar's adjusted
  open; the delisting at its cash. Its value must equal our equity (whole shares, raw
  prices, the events applied) on every bar. vectorbt takes one order a bar, so no signal
  fills on an event's bar (the cases drop the signals of the bar before one).
* **Bounded**: a long-only all-in run on raw prices with the events, left alone, against
  vectorbt's own all-in run on the adjusted prices (fractional shares, every dividend
  reinvested at (c − d) × f, no cash in lieu). They differ only where ours holds cash that
  vectorbt holds in shares: each entry's whole-share remainder, each split's cash in lieu,
  each dividend received; a fraction δ of the equity held in cash instead of shares moves
  the ratio of the two equities by at most δ × (R − 1 + 2 × fee_rate), R the largest ratio
  of two adjusted prices of the run. The test states
  |ours / vectorbt − 1| ≤ Π (1 + δ_k × (R − 1 + 2 × fee_rate)) − 1 on every bar.

vectorbt runs from ``.venv-bench`` (``tests.engine.portfolio_peer.run_vectorbt``); these
tests never skip.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from data.adjust import price_factors, total_return_adjusted, window_actions
from data.events import DELISTING, DIVIDEND, SPLIT, Event, Events
from engine import Bars, TradingParams, _simulate, backtest, run
from engine.corporate import DELISTED
from engine.corporate import DELISTING as DELISTED_KIND
from engine.corporate import DIVIDEND as DIVIDEND_KIND
from engine.corporate import SPLIT as SPLIT_KIND
from tests.engine.portfolio_peer import run_vectorbt

CHILD = Path(__file__).with_name("events_vectorbt.py")
N_CASES = 50
RELATIVE = 1e-9
RATIOS = (2.0, 3.0, 4.0, 1.5, 0.5, 0.25, 1.0 / 3.0, 5.0 / 4.0)


def _case(seed: int, bounded: bool = False) -> dict:
    """Random bars (a split divides the later prices by its ratio, a dividend lowers them by
    its share of the close before), 0-2 splits, 1-8 dividends and, one case in five, a
    delisting; random signals, none filling on an event's bar; random costs."""
    rng = np.random.default_rng(seed + (1000 if bounded else 0))
    n = int(rng.integers(150, 400))
    moves = rng.normal(0.0, 0.015, n)
    close = float(rng.uniform(20.0, 200.0)) * np.exp(np.cumsum(moves))
    open_ = np.empty(n)
    open_[0] = close[0]
    open_[1:] = close[:-1] * np.exp(rng.normal(0.0, 0.005, n - 1))
    days = np.datetime64("2020-01-01") + np.arange(n)
    event_bars = rng.choice(np.arange(2, n - 2), size=int(rng.integers(1, 11)), replace=False)
    n_splits = int(rng.integers(0, 3))
    events: list[Event] = []
    for k, at in enumerate(sorted(event_bars.tolist())):
        if k < n_splits:
            ratio = float(rng.choice(RATIOS))
            close[at:] /= ratio
            open_[at:] /= ratio
            events.append(Event(days[at].item(), SPLIT, ratio))
        else:
            amount = round(float(rng.uniform(0.002, 0.03)) * close[at - 1], 4)
            scale = 1.0 - amount / close[at - 1]
            close[at:] *= scale
            open_[at:] *= scale
            events.append(Event(days[at].item(), DIVIDEND, amount))
    delisted = seed % 5 == 0
    if delisted:
        cash = None if seed % 10 == 0 else round(float(close[-1] * rng.uniform(0.5, 1.5)), 2)
        events.append(Event(days[-1].item(), DELISTING, cash))
    spread = rng.uniform(0.0, 0.01, n)
    bars = Bars(
        days,
        open_,
        np.maximum(open_, close) * (1.0 + spread),
        np.minimum(open_, close) * (1.0 - spread),
        close,
        np.ones(n),
    )
    entries = rng.random(n) < 0.05
    exits = rng.random(n) < 0.05
    quiet = event_bars - 1
    if delisted:
        quiet = np.append(quiet, n - 2)
    entries[quiet] = exits[quiet] = False
    fee_fixed = None if bounded or seed % 2 else 1.0
    params = TradingParams(
        initial_capital=float(rng.choice([10_000.0, 100_000.0, 1_000_000.0])),
        fee_rate=float(rng.choice([0.0, 0.0005, 0.001, 0.003])),
        fee_fixed=fee_fixed,
        size_type="percent",
        position_size=100.0 if bounded else float(rng.choice([50.0, 100.0])),
        direction="longonly" if bounded or seed % 3 == 0 else "longshort",
    )
    return {"bars": bars, "events": Events(tuple(events)), "signals": (entries, exits), **{
        "params": params, "label": f"seed {seed}: {len(events)} events, {params}"
    }}  # fmt: skip


def _ours(case: dict):
    bars, events = case["bars"], case["events"]
    actions = window_actions(bars, events, 0, len(bars))
    return run(bars, *case["signals"], case["params"], actions=actions), actions


def _exact_inputs(case: dict, result, actions) -> dict[str, np.ndarray]:
    """vectorbt's orders for our fills and events, in adjusted shares and prices."""
    bars, events = case["bars"], case["events"]
    factor = price_factors(bars, events, dividends=True)
    n = len(bars)
    size, price, fixed = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
    signals = (s[None] for s in case["signals"])
    fills = backtest._events(bars, *signals, case["params"], actions=actions)  # the step's
    for k in fills.of_run(0):
        if fills.reason[k] == DELISTED:  # the delisting's order is its event's, below
            continue
        at = int(fills.bar[k])  # a reversal is two rows on its bar (a close, an open): one order
        size[at] = np.nan_to_num(size[at]) + (fills.opened[k] - fills.closed[k]) / factor[at]
        price[at] = bars.open[at] * factor[at]
        fixed[at] += fills.close_fee[k] + fills.open_fee[k]
    applied = result.applied
    for at, kind, value, cash in zip(
        applied.bar, applied.kind, applied.value, applied.cash, strict=True
    ):
        if cash == 0.0:
            continue
        assert math.isnan(size[at]), f"an order and an event on bar {at}"
        if kind == DIVIDEND_KIND:
            paid_at = (bars.close[at - 1] - value) * factor[at]
        elif kind == SPLIT_KIND:
            paid_at = bars.open[at] * factor[at]
        else:
            paid_at = value * factor[at]
        size[at], price[at] = -cash / paid_at, paid_at
    adjusted = total_return_adjusted(bars, events)
    return {
        "close": adjusted.close,
        "size": size,
        "price": price,
        "fees": np.zeros(n),
        "fixed_fees": fixed,
        "init_cash": np.array(case["params"].initial_capital),
        "direction": np.array("both"),
    }


def _all_in_inputs(case: dict) -> dict[str, np.ndarray]:
    """vectorbt's own all-in long-only run on the adjusted prices: buy with all the cash at
    our entries' fill bars, sell all at our exits', at the adjusted open; a delisting sells
    at its cash on the last bar."""
    bars, events = case["bars"], case["events"]
    adjusted = total_return_adjusted(bars, events)
    n = len(bars)
    _, fill_bars, sides = _simulate.transitions(*(s[None] for s in case["signals"]), "longonly")
    size, price = np.full(n, np.nan), adjusted.open.copy()
    size[fill_bars] = np.where(sides > 0, np.inf, -np.inf)
    fees = np.full(n, case["params"].fee_rate)
    delisting = events.delisting
    if delisting is not None:
        size[-1] = -np.inf
        price[-1] = bars.close[-1] if delisting.value is None else delisting.value
        fees[-1] = 0.0
    return {
        "close": adjusted.close,
        "size": size,
        "price": price,
        "fees": fees,
        "fixed_fees": np.zeros(n),
        "init_cash": np.array(case["params"].initial_capital),
        "direction": np.array("longonly"),
    }


@pytest.fixture(scope="module")
def compared() -> dict[str, list[tuple[dict, object, dict]]]:
    """For the exact and the bounded comparisons: each case, our result and vectorbt's
    value (one vectorbt process for both: each costs seconds of its imports and kernels)."""
    exact_cases = [_case(seed) for seed in range(N_CASES)]
    exact_ours = [_ours(case) for case in exact_cases]
    bounded_cases = [_case(seed, bounded=True) for seed in range(N_CASES)]
    bounded_ours = [_ours(case)[0] for case in bounded_cases]
    inputs = [_exact_inputs(c, r, a) for c, (r, a) in zip(exact_cases, exact_ours, strict=True)]
    inputs += [_all_in_inputs(case) for case in bounded_cases]
    peers = run_vectorbt(inputs, child=CHILD)
    return {
        "exact": list(zip(exact_cases, [r for r, _ in exact_ours], peers[:N_CASES], strict=True)),
        "bounded": list(zip(bounded_cases, bounded_ours, peers[N_CASES:], strict=True)),
    }


@pytest.fixture(scope="module")
def exact(compared) -> list[tuple[dict, object, dict]]:
    """Each case, our result and vectorbt's value on total-return prices given our fills."""
    return compared["exact"]


@pytest.mark.parametrize("index", range(N_CASES))
def test_equity_equals_vectorbt_on_total_return_prices_given_our_fills(exact, index):
    """Within 1e-9 relative on every bar, vectorbt 1.2.0 (module docstring, "Exact")."""
    case, ours, peer = exact[index]
    assert str(peer["version"]) == "1.2.0"
    assert ours.bust_bar is None, case["label"]
    deviation = np.abs(ours.equity - peer["value"]) / np.abs(peer["value"])
    worst = int(deviation.argmax())
    assert deviation[worst] <= RELATIVE, f"{case['label']}: bar {worst}"


def test_the_cases_exercise_every_event_on_longs_and_shorts(exact):
    """Across the cases: dividends received and paid, splits with and without cash in lieu,
    on longs and shorts, and delistings that closed a position."""
    seen = set()
    for _, ours, _ in exact:
        applied = ours.applied
        for kind, before, cash in zip(applied.kind, applied.before, applied.cash, strict=True):
            seen.add((kind, before > 0, cash != 0.0))
    for wanted in ((DIVIDEND_KIND, True, True), (DIVIDEND_KIND, False, True)):
        assert wanted in seen
    for side in (True, False):
        assert (SPLIT_KIND, side, True) in seen and (SPLIT_KIND, side, False) in seen
    assert any(kind == DELISTED_KIND for kind, _, _ in seen)


def _bound(case: dict, ours) -> np.ndarray:
    """The stated bound on |ours / vectorbt − 1| at every bar: the product over the
    deviations so far of (1 + δ × (R − 1 + 2 × fee_rate)), minus 1 (module docstring)."""
    bars, events = case["bars"], case["events"]
    adjusted = total_return_adjusted(bars, events)
    prices = np.concatenate([adjusted.open, adjusted.close])
    spread = prices.max() / prices.min() - 1.0 + 2.0 * case["params"].fee_rate
    growth = np.ones(len(bars))
    equity_before = np.concatenate([[case["params"].initial_capital], ours.equity[:-1]])
    opened = np.flatnonzero((ours.position != 0) & (np.roll(ours.position, 1) == 0))
    for at in opened[opened > 0]:  # the whole-share remainder of each entry
        growth[at:] *= 1.0 + ours.cash[at] / equity_before[at] * spread
    applied = ours.applied
    for at, kind, cash in zip(applied.bar, applied.kind, applied.cash, strict=True):
        if kind != DELISTED_KIND:  # a dividend received, a split's cash in lieu
            growth[at:] *= 1.0 + abs(cash) / equity_before[at] * spread
    return growth - 1.0


@pytest.fixture(scope="module")
def bounded(compared) -> list[tuple[dict, object, dict]]:
    """Each case, our raw whole-share run and vectorbt's all-in fractional one."""
    return compared["bounded"]


@pytest.mark.parametrize("index", range(N_CASES))
def test_a_raw_whole_share_run_stays_within_the_stated_bound_of_vectorbt_all_in(bounded, index):
    """On every bar |ours / vectorbt − 1| ≤ the stated bound (module docstring, "Bounded"),
    vectorbt's all-in fractional run on total-return prices reinvesting every dividend."""
    case, ours, peer = bounded[index]
    gap = np.abs(ours.equity / peer["value"] - 1.0)
    bound = _bound(case, ours)
    worst = int((gap - bound).argmax())
    assert gap[worst] <= bound[worst] + RELATIVE, f"{case['label']}: bar {worst}"
