"""What the liquidity fields cost (docs/execution.md, "Liquidity"): a run and a sweep with a
volume limit and the square-root impact against the same run and sweep without them.

    .venv/bin/python -m bench.liquidity_bench [--repeat 3] [--quick]

Synthetic bars, no network: ``bench.broker_bench.random_walk_bars`` with a seeded
log-normal volume (median 200,000 shares a bar). Every figure is CPU time
(``time.process_time``), sampled by ``bench.broker_bench.cpu_best`` (the best call of at
least ``--repeat`` and 0.25 CPU-seconds of calls) after a warm-up call. Each line prints
both figures, the ratio and the goal, PASS or MISS.

(a) A run: ``engine.run`` with random entries and exits on 2 % of the bars each, 10,000 a
    trade, ``fee_rate`` 0.001, at 100,000 bars: with ``volume_limit`` 0.025 and
    ``slippage_model`` square_root (``impact_k`` 1, 20 bars; the bars' volume a
    limit that binds on some fills, so entries and exits span bars), against the same run
    without (market fills, the vectorised path). Goal <= 1.5.
(b) A sweep (``kinds.sweeps.evaluate.evaluate``, as a chunk calls it) of SMA_CROSS over
    fast 5..104 × slow 110..308 step 2 (10,000 combinations) on 2,520 daily bars, 10,000 a
    trade, ``fee_rate`` 0.001: with (a)'s liquidity fields (every combination through the
    broker step's batch pass) against the same sweep without (the one-pass kernel), in CPU
    microseconds per combination. Goal <= 2.

(c) A Job's run with a volume limit and its 12-point capacity curve
    (``bench.capacity_bench``'s case "MOSS, volume limit 0.1": the demo strategy on the thin
    demo ticker, ``volume_limit`` 0.1, computed and written as a consumer Job does) against
    the same run without the curve, the median CPU of ``--repeat`` (at least 7) alternated
    rounds.
    Goal <= 2.

``--quick``: 20,000 bars and 400 combinations, one repeat.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from bench.broker_bench import (
    SIGNAL_SHARE,
    SWEEP_BARS,
    _frame,
    against,
    cpu_best,
    random_walk_bars,
    say,
    sweep_inputs,
)
from engine import Bars, TradingParams, run

LIQUID = {"volume_limit": 0.025, "slippage_model": "square_root", "impact_k": 1.0}
"""The liquidity fields of (a) and (b)."""

PLAIN = {"fee_rate": 0.001, "position_size": 10_000.0}
"""(a)'s trading fields beside them."""


def volume_bars(n: int, seed: int = 1) -> Bars:
    """``random_walk_bars`` with a log-normal volume, median 200,000 shares (some bars thin
    enough that 2.5 % of them is below a 10,000 order's shares)."""
    bars = random_walk_bars(n, seed)
    volume = 2e5 * np.exp(np.random.default_rng(seed + 7).normal(0.0, 1.5, n))
    return Bars(bars.timestamps, bars.open, bars.high, bars.low, bars.close, np.floor(volume))


def a_run(n: int, repeat: int):
    """(a) at ``n`` bars."""
    bars = volume_bars(n)
    rng = np.random.default_rng(5)
    entries, exits = rng.random(n) < SIGNAL_SHARE, rng.random(n) < SIGNAL_SHARE
    plain, liquid = TradingParams(**PLAIN), TradingParams(**PLAIN, **LIQUID)
    seconds = [cpu_best(lambda p=p: run(bars, entries, exits, p), repeat) for p in (liquid, plain)]
    with_them, without = (run(bars, entries, exits, p) for p in (liquid, plain))
    note = (
        f"{n:,} bars; trades {with_them.metrics['num_trades']} vs "
        f"{without.metrics['num_trades']}; return {with_them.metrics['total_return_pct']:+.2f} % "
        f"vs {without.metrics['total_return_pct']:+.2f} %"
    )
    texts = (f"{seconds[0] * 1e3:.1f} ms liquid", f"{seconds[1] * 1e3:.1f} ms without")
    return against("run, volume limit + square root", seconds[0], seconds[1], texts, 1.5, note)


def sweep_grid(quick: bool) -> dict[str, list[int]]:
    """(b)'s fast × slow grid: 10,000 combinations (400 with ``quick``)."""
    if quick:
        return {"fast": list(range(5, 25)), "slow": list(range(110, 150, 2))}
    return {"fast": list(range(5, 105)), "slow": list(range(110, 310, 2))}


def a_sweep(quick: bool, repeat: int):
    """(b)."""
    from kinds.sweeps.evaluate import evaluate

    frame = _frame(volume_bars(SWEEP_BARS, seed=3))
    grid = sweep_grid(quick)

    def per_combo(**fields) -> tuple[float, int]:
        request, params = sweep_inputs(grid, **fields)
        seconds = cpu_best(lambda: evaluate(frame, request, params), repeat)
        return seconds / len(params) * 1e6, len(params)

    without, combos = per_combo(**PLAIN)
    liquid, _ = per_combo(**PLAIN, **LIQUID)
    texts = (f"{liquid:.1f} µs/combo liquid", f"{without:.1f} µs/combo without")
    note = f"{combos:,} combos × {SWEEP_BARS:,} bars"
    return against("sweep, volume limit + square root", liquid, without, texts, 2, note)


CAPACITY_CASE = "MOSS, volume limit 0.1"
"""(c)'s request: ``bench.capacity_bench``'s case of that name."""


def a_capacity_curve(repeat: int):
    """(c): ``repeat`` rounds of the run alone and with its curve, alternated."""
    from bench.capacity_bench import alone_and_with_curve, cases

    one, both = alone_and_with_curve(cases()[CAPACITY_CASE], repeat)
    texts = (f"{both * 1e3:.1f} ms with the curve", f"{one * 1e3:.1f} ms alone")
    note = f"{CAPACITY_CASE}, 12 capitals, median of {repeat}"
    return against("run + 12-point capacity curve", both, one, texts, 2, note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.liquidity_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    from bench.peers import time_in_process

    time_in_process()
    repeat = 1 if args.quick else args.repeat
    started = time.perf_counter()
    from engine.broker import step  # noqa: F401  (loaded: a warm process)

    print("(a) a run with the liquidity fields against the same run without")
    say(a_run(20_000 if args.quick else 100_000, repeat))
    print("(b) a sweep with the liquidity fields against the same sweep without")
    say(a_sweep(args.quick, repeat))
    print("(c) a run with a volume limit and its capacity curve against the run alone")
    say(a_capacity_curve(max(repeat, 7)))
    print(f"whole bench {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
