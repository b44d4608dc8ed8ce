"""Entry orders and the other new run features, measured in one process.

    .venv/bin/python -m bench.orders_bench [--repeat 3]

(a) Entry orders in a sweep: 10,000 combinations with limit entries against the same sweep
    with market entries, on GOOG.csv. SMA_CROSS over 100 fast × 100 slow windows (10,000
    combinations, 2,148 bars), all-in, ``fee_rate`` 0.001, signals precomputed (N × T).
    Market entries run the sweep's one-pass kernel (``run_batch(one_pass=True)``); limit
    entries (a buy limit 1 % below the signal close, good for 3 bars) run the broker's
    step (``engine.broker.curves``, through ``run_batch``). Both kernels are compiled and
    loaded before timing (as in a consumer). Median wall time of ``--repeat``, alternating.
    Goal: limit / market <= 2.
(b) Every new feature in one run: one backtest (``kinds.runs.execute.execute``, charts off)
    of an EXPR SMA cross on the demo ticker ACME with every entry of ``FEATURES`` applied
    (entry order, fees, borrow, close at the end, ``ref`` and ``tf`` in the expression, a
    time exit naming ``bars_held``, an ATR size in shares)
    against the plain expression run of the same rule, and the same every-feature run with
    scaling in and out added (``SCALING``: pyramiding, partial exits, a partial
    take-profit), which the units walk runs. Median of ``--repeat`` × 10, alternating.
    Goal: every feature / plain <= 1.5.
(c) Entry orders in a sweep as a chunk evaluates it: ``kinds.sweeps.evaluate`` over 3,000
    SMA_CROSS combinations on GOOG (blocks of 500, each through the broker's step), limit
    entries against market
    entries, kernels loaded first; CPU seconds, best of ``--repeat``, alternating.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.peers import goog_csv
from engine import Bars, TradingParams, run_batch

GOOG = goog_csv()


def _sweep_signals(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SMA_CROSS entries and exits for fast 2..101 × slow 102..201 (10,000 rows)."""
    series = pd.Series(close)
    smas = {n: series.rolling(n).mean().to_numpy() for n in range(2, 202)}
    entries, exits = [], []
    for fast in range(2, 102):
        for slow in range(102, 202):
            a, b = smas[fast], smas[slow]
            above, below = a > b, a < b
            was_at_most = np.r_[False, a[:-1] <= b[:-1]]
            was_at_least = np.r_[False, a[:-1] >= b[:-1]]
            entries.append(above & was_at_most)
            exits.append(below & was_at_least)
    return np.array(entries), np.array(exits)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def part_a(repeat: int) -> None:
    """(a): the 10,000-combination sweep with limit entries against market entries."""
    df = pd.read_csv(GOOG, index_col=0, parse_dates=True)
    bars = Bars.from_dataframe(df)
    entries, exits = _sweep_signals(bars.close)
    common = {"fee_rate": 0.001, "position_size": 100.0, "size_type": "percent"}
    market = TradingParams(**common)
    limit = TradingParams(**common, entry_type="limit", valid_bars=3)
    prices = bars.close * 0.99

    def run_market():
        return run_batch(bars, entries, exits, market, one_pass=True)

    def run_limit():
        return run_batch(bars, entries, exits, limit, limit=prices)

    run_market(), run_limit()  # compile / load the kernels
    market_s, limit_s = [], []
    for _ in range(repeat):
        market_s.append(_timed(run_market))
        limit_s.append(_timed(run_limit))
    m, lim = statistics.median(market_s), statistics.median(limit_s)
    trades = run_limit().metrics["num_trades"].sum()
    print(
        f"(a) 10,000-combination SMA_CROSS sweep on GOOG ({len(bars):,} bars), median of {repeat}"
    )
    print(f"   market entries (one-pass kernel)   {m:8.3f} s")
    print(f"   limit entries (broker step)        {lim:8.3f} s   ({trades:,} trades)")
    print(f"   ratio limit / market               {lim / m:8.2f}   goal <= 2")


@dataclass(frozen=True)
class Feature:
    """One new run feature as the part of a run request it sets: ``fields`` merged into the
    request, ``entry_and`` (``exit_or``) a condition joined to the entry (exit) text."""

    label: str
    fields: dict = field(default_factory=dict)
    entry_and: str | None = None
    exit_or: str | None = None


FEATURES = (
    Feature("limit entry order", {"entry_order": {"type": "limit", "limit": "close * 0.99"}}),
    Feature("valid_bars", {"entry_order": {"valid_bars": 3}}),
    Feature("per-share fee", {"fee_per_share": 0.005, "fee_min": 1.0, "fee_max": 20.0}),
    Feature("fixed fee", {"fee_fixed": 1.0}),
    Feature("borrow fee, long-short", {"direction": "longshort", "borrow_rate": 0.03}),
    Feature("close at the end", {"close_open_trades_at_end": True}),
    Feature("ref", entry_and='ref("DEMOIX", close) > ref("DEMOIX", sma(close, 50))'),
    Feature("tf", entry_and='tf("1w", close) > tf("1w", sma(close, 10))'),
    Feature("time exit", exit_or="bars_held >= 10"),
    Feature("ATR size", {"size_expr": {"expr": "0.01 * equity / (2 * atr(14))", "unit": "shares"}}),
)
"""What (b)'s every-feature run adds to the plain run, one line a feature."""

SCALING = (
    Feature("pyramiding", {"max_entries": 3}),
    Feature("partial exits", {"exit_fraction": 0.5}),
    Feature(
        "partial take-profit",
        {"stop_loss_pct": 5.0, "take_profit_pct": 8.0, "take_profit_fraction": 0.5},
    ),
)
"""What (b)'s third run adds to the every-feature run: scaling in and out, which the units
walk (``engine._scaling``, Python) runs instead of the order walk."""

PLAIN = {
    "ticker": "ACME",
    "rule_type": "EXPR",
    "params": {
        "entry": "crossover(sma(close, $fast), sma(close, $slow))",
        "exit": "crossunder(sma(close, $fast), sma(close, $slow))",
        "fast": 10,
        "slow": 30,
    },
    "start_date": "2015-01-01",
    "end_date": "2024-12-31",
    "charts": False,
}
"""(b)'s plain expression run: an SMA cross on the demo ticker ACME, default costs."""


def with_features(body: dict, features: tuple[Feature, ...]) -> dict:
    """``body`` with every feature applied (dict fields merged one level deep)."""
    body = {**body, "params": {**body["params"]}}
    for feature in features:
        for name, value in feature.fields.items():
            before = body.get(name)
            body[name] = {**before, **value} if isinstance(before, dict) else value
        if feature.entry_and:
            body["params"]["entry"] = f"({body['params']['entry']}) and {feature.entry_and}"
        if feature.exit_or:
            body["params"]["exit"] = f"({body['params']['exit']}) or {feature.exit_or}"
    return body


def part_b(repeat: int) -> None:
    """(b): one run with every feature of ``FEATURES`` against the plain expression run."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import execute

    requests = {
        "plain": parse_request(PLAIN),
        "every feature": parse_request(with_features(PLAIN, FEATURES)),
        "with scaling": parse_request(with_features(PLAIN, FEATURES + SCALING)),
    }
    results = {name: execute(request) for name, request in requests.items()}  # warm caches
    times: dict[str, list[float]] = {name: [] for name in requests}
    for _ in range(repeat * 10):
        for name, request in requests.items():
            times[name].append(_timed(lambda request=request: execute(request)))
    plain, every, scaled = (statistics.median(times[name]) for name in requests)
    bars = len(results["plain"].equity_curve["equity"])
    trades = {name: len(result.trades) for name, result in results.items()}
    print(f"(b) one EXPR run on ACME ({bars:,} bars), charts off, median of {repeat * 10}")
    features = ", ".join(f.label for f in FEATURES)
    scaling = ", ".join(f.label for f in SCALING)
    for label, seconds, note in (
        ("plain expression run", plain, f"{trades['plain']} trades"),
        ("every new feature", every, f"{trades['every feature']} trades: {features}"),
        ("every new feature and scaling", scaled, f"{trades['with scaling']} trades: + {scaling}"),
    ):
        print(f"   {label:<34} {seconds * 1000:8.1f} ms   ({note})")
    for label, ratio, note in (
        ("every feature / plain", every / plain, "goal <= 1.5"),
        ("with scaling / plain", scaled / plain, "(the units walk)"),
    ):
        print(f"   ratio {label:<28} {ratio:8.2f}   {note}")


def part_c(repeat: int) -> None:
    """(c): a limit-entry sweep through ``evaluate`` against the same sweep with market
    entries."""
    from bench.sweep_bench import goog_data_dir, request_body
    from engine import compiled
    from kinds.runs.execute import load_market_data, market_window
    from kinds.sweeps.contract import parse_sweep_request
    from kinds.sweeps.evaluate import evaluate

    folder = goog_data_dir()
    fast, slow = list(range(2, 62)), list(range(110, 310, 4))
    limit = {"entry_order": {"type": "limit", "limit": "close * 0.99", "valid_bars": 3}}
    sweeps = {
        "market": parse_sweep_request(request_body(fast, slow)),
        "limit": parse_sweep_request(request_body(fast, slow, **limit)),
    }
    frame = market_window(load_market_data(sweeps["market"].base, folder))
    combos = [sweeps["market"].grid.params(sweeps["market"].params, c) for c in
              sweeps["market"].grid.combos]  # fmt: skip
    compiled.kernels()
    from engine.broker import curves  # noqa: F401  (loaded, not timed)

    cpu: dict[str, list[float]] = {name: [] for name in sweeps}
    for _ in range(repeat + 1):
        for name, sweep in sweeps.items():
            started = time.process_time()
            evaluate(frame, sweep.base, combos)
            cpu[name].append(time.process_time() - started)
    market, limited = (min(cpu[name][1:]) for name in sweeps)
    print(f"(c) {len(combos):,}-combination SMA_CROSS sweep on GOOG through evaluate, CPU-s")
    print(f"   market entries (one-pass kernel)   {market:8.3f} CPU-s")
    print(f"   limit entries (broker step)        {limited:8.3f} CPU-s")
    print(f"   ratio limit / market               {limited / market:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    part_a(args.repeat)
    part_b(args.repeat)
    part_c(args.repeat)


if __name__ == "__main__":
    main()
