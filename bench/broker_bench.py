"""What a run and a sweep cost on each of the engine's order paths, beside a floor: a
single-pass numba kernel written here for the same work, or the plain sweep.

    .venv/bin/python -m bench.broker_bench [--repeat 3] [--quick]

Synthetic bars, no network: a seeded random walk of the log close (1 % a bar, reflected
to stay within e^±1 of 100), an open near the previous close, a high and a low around
both. Every figure is CPU time (``time.process_time``: steady on a shared machine), the
best call of at least ``--repeat`` and of at least ``SAMPLED_CPU`` CPU-seconds of calls
(``cpu_best``; a run and its floor with their calls alternated, ``cpu_best_pair``), after a
warm-up call (kernels loaded, caches filled). Each line prints our figure, the floor's or
peer's, the ratio and the goal, PASS or MISS.

(1) An orders run: ``engine.run`` of an EXPR SMA cross (10, 30) with a limit entry 1 %
    below the signal close good for 3 bars, an ATR size in shares
    (``0.01 * equity / (2 * atr(14))``), a time exit joined to the signal exit
    (``bars_held >= 10``) and a per-share fee (0.005 a share, 1 to 20 an order;
    ``fee_rate`` 0), on one-minute bars, at 100,000 and 1,000,000 bars. Its inputs
    (signals, the exit's position part, the limit prices, the size series) are made by
    the helpers ``kinds.runs.execute.execute`` uses, and not timed: the figure is the
    engine's walk, its paths, trades and core metrics. The floor (``orders_floor``) walks
    the same rules in one compiled loop, writing the equity of every bar, from the same
    signals, prices and ATR (the bench prints both trade counts and final equities: they
    agree). In bars per CPU-second; goal ours / floor <= 5.
(1b) A stops run: (1) without its size series and time exit (the cross alone exits; the
    runs the other features leave on the Python walks are not in it), with a 3 %
    stop-loss and a 6 % take-profit and ``position_size`` 10,000 a trade: a single
    position through the broker's step. The floor (``stops_floor``) walks the same rules in
    one compiled loop. Goal ours / floor <= 5.
(2) A scaling run: ``engine.run`` with ``max_entries`` 3, ``exit_fraction`` 0.5, a 5 %
    stop-loss and an 8 % take-profit on each unit, 10,000 a unit, ``fee_rate`` 0.0002,
    random entries and exits on 2 % of the bars each, at the same sizes; the floor
    (``scaling_floor``) holds the units in three slots. Goal ours / floor <= 5. The run
    goes through the broker's compiled step (``engine.broker.step``, loaded as in a warm
    worker).
(2b) A scaling run with every feature that calls Python: an EXPR pullback in an uptrend
    (entry ``close > sma(close, $slow) and close < sma(close, $fast)``, each bar of it adding
    a unit up to ``max_entries`` 3), an ATR size series in shares (``0.01 * equity / (2 *
    atr(14))``, read on each unit's signal bar), a position-aware exit (``crossunder(
    sma(close, $fast), sma(close, $slow)) or bars_held >= $hold``, 10, 30, 20 bars) selling
    half of each unit (``exit_fraction`` 0.5), a 5 % stop-loss and 8 % take-profit on each
    unit, a per-share fee (as (1)'s), on one-minute bars at the same sizes. The step's
    resumable walk returns to Python for each unit's size and each change of the long's
    exit. The floor (``called_floor``) walks the same rules in one compiled loop from the
    same signals and ATR. Goal ours / floor <= 5.
(3) Sweeps (``kinds.sweeps.evaluate.evaluate``, as a chunk calls it) of SMA_CROSS over
    fast 5..44 × slow 50..248 step 2 (4,000 combinations) on 2,520 daily bars, 10,000 a
    trade, ``fee_rate`` 0.001, in CPU microseconds per combination: with (1)'s limit
    entry against the plain sweep (market entries; goal <= 1.5), and with ``max_entries``
    3 and ``exit_fraction`` 0.5 against it (goal <= 3).
(4) The plain sweep with a metric defined by a function (``metrics.register``: final
    over first equity, ``final_equity_ratio``) against the same sweep without it.
    Goal <= 1.2.
(5) The sweep core: ``bench.sweep_bench`` part (e)'s children, run as they are (100,000
    SMA_CROSS combinations on ACME's 2,516 bars, a fresh process each): ours against
    the single-pass reference kernel, in bar-updates per second of wall time (the goal's
    figure) and per CPU-second. Goal ours >= 240 M bar-updates a second.

``--quick``: 10,000 and 50,000 bars, 400 combinations, one repeat (every line printed; the
figures are not the goals' sizes).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from engine import Bars, TradingParams, run

ORDERS_RUN = {
    "ticker": "SYNTH",
    "rule_type": "EXPR",
    "params": {
        "entry": "crossover(sma(close, $fast), sma(close, $slow))",
        "exit": "crossunder(sma(close, $fast), sma(close, $slow)) or bars_held >= $hold",
        "fast": 10,
        "slow": 30,
        "hold": 10,
    },
    "start_date": "2000-01-01",
    "end_date": "2100-01-01",
    "charts": False,
    "entry_order": {"type": "limit", "limit": "close * 0.99", "valid_bars": 3},
    "size_expr": {"expr": "0.01 * equity / (2 * atr(14))", "unit": "shares"},
    "fee_rate": 0.0,
    "fee_per_share": 0.005,
    "fee_min": 1.0,
    "fee_max": 20.0,
}
"""(1)'s run request (its ticker is never read: the bench makes the bars)."""

CALLED_RUN = {
    **{k: v for k, v in ORDERS_RUN.items() if k != "entry_order"},
    "params": {
        "entry": "close > sma(close, $slow) and close < sma(close, $fast)",
        "exit": "crossunder(sma(close, $fast), sma(close, $slow)) or bars_held >= $hold",
        "fast": 10,
        "slow": 30,
        "hold": 20,
    },
    "max_entries": 3,
    "exit_fraction": 0.5,
    "stop_loss_pct": 5.0,
    "take_profit_pct": 8.0,
}
"""(2b)'s run request."""

SCALING = {"max_entries": 3, "exit_fraction": 0.5}
"""Scaling in and out, in (2)'s run and (3)'s scaling sweep."""

SIGNAL_SHARE = 0.02
"""(2)'s entries and exits: each on this share of the bars, at random."""

SCALING_FEE = 0.0002
"""(2)'s ``fee_rate``: 2 basis points an order, which a million bars of random units can
pay without emptying the account."""

STOPS = {"stop_loss_pct": 5.0, "take_profit_pct": 8.0}
"""(2)'s stops, on each unit."""

SWEEP_BARS = 2_520
"""(3) and (4)'s window: ten years of daily bars."""

LIMIT_ENTRY = {"entry_order": ORDERS_RUN["entry_order"]}
"""(3)'s limit-entry sweep: (1)'s entry order."""


# -- the bars -------------------------------------------------------------------------------


def random_walk_bars(n: int, seed: int = 1, step: np.timedelta64 | None = None) -> Bars:
    """``n`` seeded synthetic bars: the log close a random walk of 1 % a bar folded into
    [-1, 1] (so the price stays between 37 and 272 over any length), the open 0.2 % from
    the previous close, the high and low up to ~0.4 % beyond both."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(0.0, 0.01, n))
    folded = 4.0 * np.abs((walk + 1.0) / 4.0 - np.floor((walk + 1.0) / 4.0 + 0.5)) - 1.0
    close = 100.0 * np.exp(folded)
    open_ = np.r_[close[0], close[:-1]] * (1.0 + rng.normal(0.0, 0.002, n))
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, 0.004, n)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, 0.004, n)))
    step = np.timedelta64(1, "D") if step is None else step
    stamps = np.datetime64("2000-01-03", "s") + np.arange(n) * step
    return Bars(stamps, open_, high, low, close, np.ones(n))


def _frame(bars: Bars):
    """``bars`` as a run's market window (signals computed on them, every bar traded)."""
    from kinds.runs.execute import MarketWindow

    return MarketWindow(history=bars, bars=bars, window=slice(0, len(bars)), data_hash="bench")


# -- the floors -----------------------------------------------------------------------------


@njit(cache=True)
def _fee(n, price, rate, per_share, fee_min, fee_max):
    """fee(n, p): ``fee_rate`` × notional plus the per-share fee within its bounds."""
    if n <= 0.0:
        return 0.0
    return n * price * rate + min(max(n * per_share, fee_min), fee_max)


@njit(cache=True)
def _affordable(budget, price, rate, per_share, fee_min, fee_max):
    """The most whole shares whose cost and fee fit ``budget``."""
    a = price * (1.0 + rate)
    n = min(np.floor(budget / (a + per_share)), np.floor((budget - fee_min) / a))
    if fee_max < np.inf:
        n = max(n, np.floor((budget - fee_max) / a))
    if n * price + _fee(n, price, rate, per_share, fee_min, fee_max) > budget:
        n -= 1.0
    return max(n, 0.0)


@njit(cache=True)
def orders_floor(
    open_, high, low, close, entries, exits, limit, atr, hold, valid, capital, costs, equity
):
    """(1)'s run in one pass: a signal change places a buy limit at the signal bar's
    ``limit`` (good for ``valid`` bars, filled at min(open, L) when the low reaches it),
    sized in shares by 0.01 × equity / (2 × ATR) read on the signal bar and capped by the
    cash at the fill; the long exits at the next open on a signal exit or ``bars_held >=
    hold``. Writes ``equity``; returns the trades opened and the final equity."""
    rate, per_share, fee_min, fee_max = costs[0], costs[1], costs[2], costs[3]
    cash, shares, trades = capital, 0.0, 0
    wanted, close_next = 0, False
    order_at, order_last, order_price, order_size = -1, -1, 0.0, 0.0
    entry_bar = -1
    last = close.size - 1
    for t in range(close.size):
        if close_next:
            cash += shares * open_[t] - _fee(shares, open_[t], rate, per_share, fee_min, fee_max)
            shares, close_next, entry_bar = 0.0, False, -1
        if order_at >= 0:
            if low[t] <= order_price:
                price = min(open_[t], order_price)
                cap = _affordable(cash, price, rate, per_share, fee_min, fee_max)
                n = min(np.floor(order_size), cap)
                if n > 0.0:
                    cash -= n * price + _fee(n, price, rate, per_share, fee_min, fee_max)
                    shares, entry_bar = n, t
                    trades += 1
                else:
                    wanted = 0
                order_at = -1
            elif t == order_last:
                order_at, wanted = -1, 0
        value = cash + shares * close[t]
        equity[t] = value
        leave = exits[t] or (entry_bar >= 0 and t - entry_bar >= hold)
        signal = (1 if entries[t] else 0) - (1 if leave else 0)
        side = max(signal, 0)
        if signal != 0 and t != last and side != wanted:
            wanted, order_at = side, -1
            if side == 0:
                close_next = shares != 0.0
            else:
                size = 0.01 * value / (2.0 * atr[t])
                if limit[t] > 0.0 and size > 0.0:  # NaN fails both
                    order_at, order_last = t, t + valid
                    order_price, order_size = limit[t], size
                else:
                    wanted = 0
    return trades, equity[last]


@njit(cache=True)
def stops_floor(
    open_, high, low, close, entries, exits, limit, valid, capital, size, costs, stops, equity
):
    """(1b)'s run in one pass: a signal change places a buy limit at the signal bar's
    ``limit`` (good for ``valid`` bars, filled at min(open, L) when the low reaches it),
    min(``size``, cash) a trade; from the bar after its fill the long exits at its
    stop-loss or take-profit (``stops``: fractions of the entry; the open when the bar gaps
    through, the stop-loss first) or at the next open on a signal exit. Writes ``equity``;
    returns the trades opened and the final equity."""
    rate, per_share, fee_min, fee_max = costs[0], costs[1], costs[2], costs[3]
    cash, shares, trades = capital, 0.0, 0
    wanted, close_next = 0, False
    order_at, order_last, order_price = -1, -1, 0.0
    loss = profit = 0.0
    last = close.size - 1
    for t in range(close.size):
        if close_next:
            cash += shares * open_[t] - _fee(shares, open_[t], rate, per_share, fee_min, fee_max)
            shares, close_next = 0.0, False
        fresh = False
        if order_at >= 0:
            if low[t] <= order_price:
                price = min(open_[t], order_price)
                n = _affordable(min(size, cash), price, rate, per_share, fee_min, fee_max)
                if n > 0.0:
                    cash -= n * price + _fee(n, price, rate, per_share, fee_min, fee_max)
                    shares, fresh = n, True
                    loss, profit = price * (1.0 - stops[0]), price * (1.0 + stops[1])
                    trades += 1
                else:
                    wanted = 0
                order_at = -1
            elif t == order_last:
                order_at, wanted = -1, 0
        if shares > 0.0 and not fresh:
            hit = np.nan
            if open_[t] <= loss or open_[t] >= profit:
                hit = open_[t]
            elif low[t] <= loss:
                hit = loss
            elif high[t] >= profit:
                hit = profit
            if hit == hit:
                cash += shares * hit - _fee(shares, hit, rate, per_share, fee_min, fee_max)
                shares, wanted = 0.0, 0
        equity[t] = cash + shares * close[t]
        signal = (1 if entries[t] else 0) - (1 if exits[t] else 0)
        side = max(signal, 0)
        if signal != 0 and t != last and side != wanted:
            wanted, order_at = side, -1
            if side == 0:
                close_next = shares != 0.0
            elif limit[t] > 0.0:
                order_at, order_last, order_price = t, t + valid, limit[t]
            else:
                wanted = 0
    return trades, equity[last]


@njit(cache=True)
def _half_even(x):
    """Python's ``round``: to the nearest whole number, halves to even."""
    r = np.floor(x + 0.5)
    if r - x == 0.5 and r % 2.0 == 1.0:
        r -= 1.0
    return r


@njit(cache=True)
def scaling_floor(
    open_, high, low, close, entries, exits, max_units, fraction, loss, profit, unit, rate, equity
):
    """(2)'s run in one pass: every entry bar adds a unit of ``unit`` (at most the cash) at
    the next open while fewer than ``max_units`` are held; an exit sells max(1,
    round(n × ``fraction``)) of each unit of n at the next open; each unit has a stop-loss
    and a take-profit from its own fill (``loss``, ``profit`` fractions; the stop-loss
    first, the open on a gap), checked after the open's fills. Writes ``equity``; returns
    the units opened and the final equity."""
    size = np.zeros(max_units)
    stop_at = np.zeros(max_units)
    take_at = np.zeros(max_units)
    held, cash, shares, units, pending = 0, equity[0], 0.0, 0, 0
    last = close.size - 1
    for t in range(close.size):
        o = open_[t]
        if pending < 0:
            for k in range(held):
                part = (
                    size[k]
                    if fraction == 1.0
                    else min(size[k], max(1.0, _half_even(size[k] * fraction)))
                )
                cash += part * o - part * o * rate
                shares -= part
                size[k] -= part
            kept = 0
            for k in range(held):
                if size[k] > 0.0:
                    size[kept], stop_at[kept], take_at[kept] = size[k], stop_at[k], take_at[k]
                    kept += 1
            held = kept
        elif pending > 0 and held < max_units:
            budget = min(unit, cash)
            n = np.floor(budget / (o * (1.0 + rate)))
            if n * o + n * o * rate > budget:
                n -= 1.0
            if n > 0.0:
                cash -= n * o + n * o * rate
                shares += n
                size[held], stop_at[held], take_at[held] = n, o * (1.0 - loss), o * (1.0 + profit)
                held += 1
                units += 1
        pending = 0
        kept = 0
        for k in range(held):
            price = -1.0
            if low[t] <= stop_at[k]:
                price = min(o, stop_at[k])
            elif high[t] >= take_at[k]:
                price = max(o, take_at[k])
            if price > 0.0:
                cash += size[k] * price - size[k] * price * rate
                shares -= size[k]
            else:
                size[kept], stop_at[kept], take_at[kept] = size[k], stop_at[k], take_at[k]
                kept += 1
        held = kept
        equity[t] = cash + shares * close[t]
        if t < last and entries[t] != exits[t]:
            if exits[t]:
                pending = -1 if held > 0 else 0
            elif held < max_units:
                pending = 1
    return units, equity[last]


@njit(cache=True)
def called_floor(
    open_, high, low, close, entries, exits, atr, hold, max_units, fraction, loss, profit,
    capital, costs, equity,
):  # fmt: skip
    """(2b)'s run in one pass: a bar whose entry holds (and whose exit does not) adds a unit
    at the next open while fewer than ``max_units`` are held, of 0.01 × equity / (2 × ATR)
    shares read on the signal bar, at most what the cash pays for; a bar whose exit holds
    (the signal exit, or ``bars_held`` >= ``hold`` from the long's first fill; not with
    the entry) sells max(1, round(n × ``fraction``)) of each unit of n at the next open;
    each unit has its own stop-loss and take-profit. Per-share fee. Writes ``equity``;
    returns the units opened and the final equity."""
    rate, per_share, fee_min, fee_max = costs[0], costs[1], costs[2], costs[3]
    size = np.zeros(max_units)
    stop_at = np.zeros(max_units)
    take_at = np.zeros(max_units)
    held, cash, shares, units, pending, wanted = 0, capital, 0.0, 0, 0, 0.0
    first = -1
    last = close.size - 1
    for t in range(close.size):
        o = open_[t]
        if pending < 0:
            for k in range(held):
                part = (
                    size[k]
                    if fraction == 1.0
                    else min(size[k], max(1.0, _half_even(size[k] * fraction)))
                )
                cash += part * o - _fee(part, o, rate, per_share, fee_min, fee_max)
                shares -= part
                size[k] -= part
            kept = 0
            for k in range(held):
                if size[k] > 0.0:
                    size[kept], stop_at[kept], take_at[kept] = size[k], stop_at[k], take_at[k]
                    kept += 1
            held = kept
        elif pending > 0 and held < max_units:
            n = min(np.floor(wanted), _affordable(cash, o, rate, per_share, fee_min, fee_max))
            if n > 0.0:
                cash -= n * o + _fee(n, o, rate, per_share, fee_min, fee_max)
                shares += n
                size[held], stop_at[held], take_at[held] = n, o * (1.0 - loss), o * (1.0 + profit)
                if held == 0:
                    first = t
                held += 1
                units += 1
        pending = 0
        kept = 0
        for k in range(held):
            price = -1.0
            if low[t] <= stop_at[k]:
                price = min(o, stop_at[k])
            elif high[t] >= take_at[k]:
                price = max(o, take_at[k])
            if price > 0.0:
                cash += size[k] * price - _fee(size[k], price, rate, per_share, fee_min, fee_max)
                shares -= size[k]
            else:
                size[kept], stop_at[kept], take_at[kept] = size[k], stop_at[k], take_at[k]
                kept += 1
        held = kept
        value = cash + shares * close[t]
        equity[t] = value
        leave = exits[t] or (held > 0 and t - first >= hold)
        if t < last and entries[t] != leave:
            if leave:
                pending = -1 if held > 0 else 0
            elif held < max_units:
                pending = 1
                wanted = 0.01 * value / (2.0 * atr[t])
    return units, equity[last]


# -- measuring ------------------------------------------------------------------------------


SAMPLED_CPU = 0.25
"""CPU-seconds ``cpu_best`` spends at least on its timed calls of one figure."""

MAX_CALLS = 1_000
"""The most timed calls of one figure."""


def cpu_best(fn: Callable[[], object], repeat: int) -> float:
    """The least CPU time of at least ``repeat`` calls of ``fn`` (after one untimed call),
    calling on until the timed calls have spent ``SAMPLED_CPU`` (at most ``MAX_CALLS``
    calls): a figure of a millisecond is the best of a few hundred calls, not of three, so
    the machine's other work (a shared VM's neighbours, a test run beside it) rarely lands
    in every one of them, and none is timed before the machine has settled
    (docs/benchmarks.md, "Sampling"). A ``repeat`` of 1 (``--quick``) times one call."""
    return cpu_bests((fn,), repeat)[0]


def cpu_best_pair(
    ours: Callable[[], object], floor: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """``cpu_best`` of both sides of a ratio, their calls alternated (``cpu_bests``), so
    that both are sampled in the same minutes of a shared VM whose speed moves between
    them (docs/benchmarks.md, "Sampling")."""
    ours_s, floor_s = cpu_bests((ours, floor), repeat)
    return ours_s, floor_s


def cpu_bests(fns: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    """``cpu_best`` of each of ``fns``, their calls taken in turn (after one untimed call
    each): each one's least CPU time of as many calls as the others', calling on until the
    dearest has spent ``SAMPLED_CPU`` (at most ``MAX_CALLS`` rounds)."""
    for fn in fns:
        fn()
    best, spent, calls = [math.inf] * len(fns), [0.0] * len(fns), 0
    sampled = SAMPLED_CPU if repeat > 1 else 0.0
    while calls < repeat or (max(spent) < sampled and calls < MAX_CALLS):
        for side, fn in enumerate(fns):
            started = time.process_time()
            fn()
            took = time.process_time() - started
            best[side], spent[side] = min(best[side], took), spent[side] + took
        calls += 1
    return [max(b, 1e-9) for b in best]


@dataclass(frozen=True)
class Line:
    """One printed figure: ours and the floor's (or peer's), the ratio, its goal."""

    label: str
    ours: str
    peer: str
    ratio: float
    goal: str
    met: bool
    note: str = ""

    def text(self) -> str:
        verdict = "PASS" if self.met else "MISS"
        note = f"   ({self.note})" if self.note else ""
        return (
            f"  {self.label:<34} {self.ours:>24}   {self.peer:>30}   ratio {self.ratio:7.2f}"
            f"   goal {self.goal:<8} {verdict}{note}"
        )


def say(line: Line) -> None:
    print(line.text(), flush=True)


def _rate(bars: int, seconds: float) -> str:
    return f"{bars / seconds / 1e6:.2f} M bars/CPU-s"


def against(
    label: str, ours: float, peer: float, texts: tuple[str, str], goal: float, note=""
) -> Line:
    """The line of a cost ``ours`` against the ``peer``'s (``texts``: both as printed),
    whose ratio is to stay at most ``goal``."""
    ratio = ours / peer
    return Line(label, *texts, ratio, f"<= {goal:g}", ratio <= goal, note)


def run_line(label: str, n: int, seconds: tuple[float, float], counts: str, finals: tuple) -> Line:
    """The line of a run of ``n`` bars against its floor: CPU ``seconds`` of both, what
    each traded (``counts``) and their final equities (``finals``, the engine's as a total
    return in percent, the floor's as equity)."""
    ours, floor = seconds
    texts = (_rate(n, ours), "floor " + _rate(n, floor))
    returns = f"{finals[0]:+.2f} %, floor {(finals[1] / 1e5 - 1) * 100:+.2f} %"
    return against(label, ours, floor, texts, 5, f"{counts}; final equity {returns}")


# -- (1) and (2): runs ------------------------------------------------------------------------


def orders_run(n: int, repeat: int) -> Line:
    """(1) at ``n`` bars."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import (
        entry_prices_in_window,
        position_exits_in_window,
        signals_in_window,
        size_in_window,
    )
    from rules.indicators import atr

    request = parse_request(ORDERS_RUN)
    bars = random_walk_bars(n, step=np.timedelta64(60, "s"))
    frame = _frame(bars)
    cache: dict = {}
    entries, exits = signals_in_window(frame, "EXPR", [request.params], cache)
    held = position_exits_in_window(frame, "EXPR", [request.params], cache)
    limit, stop = entry_prices_in_window(frame, request.entry_order)
    size = size_in_window(frame, request.size_expr)
    params = request.trading_params(frame.bars_per_year)
    result = None

    def ours():
        nonlocal result
        result = run(
            bars, entries[0], exits[0], params, limit=limit, stop=stop,
            position_exit=held[0], size=size,
        )  # fmt: skip

    fee_max = math.inf if params.fee_max is None else params.fee_max
    costs = np.array([params.fee_rate, params.fee_per_share or 0.0, params.fee_min or 0.0, fee_max])
    equity = np.empty(n)
    arguments = (
        bars.open, bars.high, bars.low, bars.close, entries[0], exits[0], limit,
        atr(bars.high, bars.low, bars.close, 14), request.params["hold"], params.valid_bars,
        params.initial_capital, costs, equity,
    )  # fmt: skip
    ours_s, floor_s = cpu_best_pair(ours, lambda: orders_floor(*arguments), repeat)
    trades, final = orders_floor(*arguments)
    assert result is not None
    return run_line(
        f"orders run, {n:,} bars",
        n,
        (ours_s, floor_s),
        f"{len(result.trades):,} trades, floor {trades:,}",
        (result.metrics["total_return_pct"], final),
    )


STOPS_RUN = {
    **{k: v for k, v in ORDERS_RUN.items() if k != "size_expr"},
    "params": {
        "entry": "crossover(sma(close, $fast), sma(close, $slow))",
        "exit": "crossunder(sma(close, $fast), sma(close, $slow))",
        "fast": 10,
        "slow": 30,
    },
    "stop_loss_pct": 3.0,
    "take_profit_pct": 6.0,
    "position_size": 10_000.0,
}
"""(1b)'s run: (1) without its size series and time exit, with stops."""


def stops_run(n: int, repeat: int) -> Line:
    """(1b) at ``n`` bars."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import entry_prices_in_window, signals_in_window

    request = parse_request(STOPS_RUN)
    bars = random_walk_bars(n, step=np.timedelta64(60, "s"))
    frame = _frame(bars)
    entries, exits = signals_in_window(frame, "EXPR", [request.params], {})
    limit, stop = entry_prices_in_window(frame, request.entry_order)
    params = request.trading_params(frame.bars_per_year)
    result = None

    def ours():
        nonlocal result
        result = run(bars, entries[0], exits[0], params, limit=limit, stop=stop)

    fee_max = math.inf if params.fee_max is None else params.fee_max
    costs = np.array([params.fee_rate, params.fee_per_share or 0.0, params.fee_min or 0.0, fee_max])
    stops = np.array([params.stop_loss_pct / 100.0, params.take_profit_pct / 100.0])
    arguments = (
        bars.open, bars.high, bars.low, bars.close, entries[0], exits[0], limit,
        params.valid_bars, params.initial_capital, params.position_size, costs, stops,
        np.empty(n),
    )  # fmt: skip
    ours_s, floor_s = cpu_best_pair(ours, lambda: stops_floor(*arguments), repeat)
    trades, final = stops_floor(*arguments)
    assert result is not None
    return run_line(
        f"stops run, {n:,} bars",
        n,
        (ours_s, floor_s),
        f"{len(result.trades):,} trades, floor {trades:,}",
        (result.metrics["total_return_pct"], final),
    )


def scaling_run(n: int, repeat: int) -> Line:
    """(2) at ``n`` bars."""
    rng = np.random.default_rng(2)
    bars = random_walk_bars(n, step=np.timedelta64(60, "s"))
    entries, exits = rng.random(n) < SIGNAL_SHARE, rng.random(n) < SIGNAL_SHARE
    params = TradingParams(fee_rate=SCALING_FEE, **SCALING, **STOPS)
    result = None

    def ours():
        nonlocal result
        result = run(bars, entries, exits, params)

    equity = np.full(n, params.initial_capital)
    arguments = (
        bars.open, bars.high, bars.low, bars.close, entries, exits, params.max_entries,
        params.exit_fraction, STOPS["stop_loss_pct"] / 100, STOPS["take_profit_pct"] / 100,
        params.position_size, params.fee_rate, equity,
    )  # fmt: skip

    def floor():
        equity[0] = params.initial_capital
        return scaling_floor(*arguments)

    ours_s, floor_s = cpu_best_pair(ours, floor, repeat)
    units, final = floor()
    assert result is not None
    return run_line(
        f"scaling run, {n:,} bars",
        n,
        (ours_s, floor_s),
        f"{result.metrics['num_trades']:,} units, floor {units:,}",
        (result.metrics["total_return_pct"], final),
    )


def called_run(n: int, repeat: int) -> Line:
    """(2b) at ``n`` bars."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import position_exits_in_window, signals_in_window, size_in_window
    from rules.indicators import atr

    request = parse_request(CALLED_RUN)
    bars = random_walk_bars(n, step=np.timedelta64(60, "s"))
    frame = _frame(bars)
    cache: dict = {}
    entries, exits = signals_in_window(frame, "EXPR", [request.params], cache)
    held = position_exits_in_window(frame, "EXPR", [request.params], cache)
    size = size_in_window(frame, request.size_expr)
    params = request.trading_params(frame.bars_per_year)
    result = None

    def ours():
        nonlocal result
        result = run(bars, entries[0], exits[0], params, position_exit=held[0], size=size)

    fee_max = math.inf if params.fee_max is None else params.fee_max
    costs = np.array([params.fee_rate, params.fee_per_share or 0.0, params.fee_min or 0.0, fee_max])
    equity = np.empty(n)
    arguments = (
        bars.open, bars.high, bars.low, bars.close, entries[0], exits[0],
        atr(bars.high, bars.low, bars.close, 14), request.params["hold"], params.max_entries,
        params.exit_fraction, STOPS["stop_loss_pct"] / 100, STOPS["take_profit_pct"] / 100,
        params.initial_capital, costs, equity,
    )  # fmt: skip
    ours_s, floor_s = cpu_best_pair(ours, lambda: called_floor(*arguments), repeat)
    units, final = called_floor(*arguments)
    assert result is not None
    return run_line(
        f"scaling run, size + exit, {n:,} bars",
        n,
        (ours_s, floor_s),
        f"{result.metrics['num_trades']:,} units, floor {units:,}",
        (result.metrics["total_return_pct"], final),
    )


# -- (3) and (4): sweeps ----------------------------------------------------------------------


def sweep_grid(quick: bool) -> dict[str, list[int]]:
    """The fast × slow grid of (3) and (4): 4,000 combinations (400 with ``quick``)."""
    if quick:
        return {"fast": list(range(5, 25)), "slow": list(range(50, 90, 2))}
    return {"fast": list(range(5, 45)), "slow": list(range(50, 250, 2))}


def sweep_inputs(grid: dict, **fields) -> tuple:
    """(request, parameter sets) of an SMA_CROSS sweep over ``grid`` with ``fields``."""
    from kinds.sweeps.contract import parse_sweep_request

    body = {
        "ticker": "SYNTH",
        "rule_type": "SMA_CROSS",
        "grid": grid,
        "start_date": "2000-01-01",
        "end_date": "2100-01-01",
        **fields,
    }
    sweep = parse_sweep_request(body)
    return sweep.base, [sweep.grid.params(sweep.params, combo) for combo in sweep.grid.combos]


def final_equity_ratio(curves) -> np.ndarray:
    """(4)'s registered metric: each curve's final equity over its first."""
    return curves.equity[:, -1] / curves.equity[:, 0]


FUNCTION_METRIC_KEY = "bench_final_equity_ratio"


def sweeps(quick: bool, repeat: int) -> list[Line]:
    """(3) and (4)."""
    from kinds.sweeps.evaluate import evaluate
    from metrics import MetricDef, register, unregister

    frame = _frame(random_walk_bars(SWEEP_BARS, seed=3))
    grid = sweep_grid(quick)
    plain_request, plain_params = sweep_inputs(grid)
    combos = len(plain_params)
    metric = MetricDef(
        FUNCTION_METRIC_KEY, "Final / first equity", function=f"{__name__}:final_equity_ratio"
    )

    def plain() -> None:
        evaluate(frame, plain_request, plain_params)

    def with_fields(**fields) -> Callable[[], object]:
        request, params = sweep_inputs(grid, **fields)
        return lambda: evaluate(frame, request, params)

    def with_metric() -> None:  # registered for its own calls only: the plain ones alternate
        register(metric)
        try:
            plain()
        finally:
            unregister(FUNCTION_METRIC_KEY)

    size = f"{combos:,} combos × {SWEEP_BARS:,} bars"
    lines = []
    for label, sweep, goal in (
        ("limit-entry sweep", with_fields(**LIMIT_ENTRY), 1.5),
        ("scaling sweep", with_fields(**SCALING), 3),
        ("sweep with a function metric", with_metric, 1.2),
    ):
        figure, base = (s / combos * 1e6 for s in cpu_best_pair(sweep, plain, repeat))
        texts = (f"{figure:.1f} µs/combo", f"plain sweep {base:.1f} µs/combo")
        lines.append(against(label, figure, base, texts, goal, size))
    return lines


# -- (5): the sweep core ------------------------------------------------------------------------


def sweep_core(repeat: int) -> Line:
    """(5): ``bench.sweep_bench``'s part (e) children, ours and the reference kernel."""
    from bench.peers import measured
    from bench.sweep_bench import warm_kernels

    warm_kernels()
    child = [sys.executable, "-m", "bench.sweep_bench", "--repeat", str(repeat), "--child"]
    rates = {}
    for side in ("ours", "reference"):
        out, _ = measured([*child, f"sma-{side}"])
        updates = out["combos"] * out["bars"]
        rates[side] = (updates / out["s"], updates / out["cpu_s"], out["combos"], out["bars"])
    ours, reference = rates["ours"], rates["reference"]
    return Line(
        "sweep core (bench.sweep_bench e)",
        f"{ours[0] / 1e6:.0f} M/s, {ours[1] / 1e6:.0f} M/CPU-s",
        f"reference {reference[0] / 1e6:.0f} M/s, {reference[1] / 1e6:.0f} M/CPU-s",
        ours[0] / reference[0],
        ">= 240 M/s",
        ours[0] >= 240e6,
        f"bar-updates: {ours[2]:,} combos × {ours[3]:,} bars, wall and per CPU-second",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.broker_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    from bench.peers import time_in_process

    time_in_process()
    repeat = 1 if args.quick else args.repeat
    sizes = (10_000, 50_000) if args.quick else (100_000, 1_000_000)
    started = time.perf_counter()
    # A warm worker throughout: every compiled kernel loaded (from numba's cache, in
    # engine.compiled.warm's order), as in a sweep's or study's process, before any line
    # (a one-run Job loads the step alone and builds its paths and metrics with numpy:
    # bench.job_cost_bench measures that Job). Loaded lazily instead, the lines after the
    # orders run paid for the order in which their code was loaded: on an AMD EPYC (Zen 5)
    # VM the scaling walk of the same 1,000,000 bars took 14 ms after the orders run first
    # loaded the step, 7 ms loaded first or after warm (docs/benchmarks.md).
    from engine.compiled import warm

    warm()

    print("(1) limit entry, ATR size, time exit, per-share fee: engine.run against its floor")
    for n in sizes:
        say(orders_run(n, repeat))
    print("(1b) limit entry, stops, per-share fee: engine.run against its floor")
    for n in sizes:
        say(stops_run(n, repeat))
    print("(2) scaling in and out with stops: engine.run against its floor")
    for n in sizes:
        say(scaling_run(n, repeat))
    print("(2b) size series, position-aware exit, per-share fee, scaling, stops: against its floor")
    for n in sizes:
        say(called_run(n, repeat))
    print("(3) and (4) sweeps (kinds.sweeps.evaluate) against the plain sweep, per combination")
    for line in sweeps(args.quick, repeat):
        say(line)
    print("(5) the sweep core")
    say(sweep_core(repeat))
    print(f"whole bench {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
