"""The strategy language's cost against the built-in rule it can replace, in one run (GOOG.csv).

    .venv/bin/python -m bench.expr_bench [--repeat 5]

(a) A 10,000-combination sweep (fast 2..101 × slow 110..308 step 2) of
    ``crossover(sma(close, $fast), sma(close, $slow))`` / ``crossunder(…)`` against the
    built-in SMA_CROSS sweep over the same grid: the signals of every combination, and the
    whole evaluation of the chunk (``kinds.sweeps.evaluate.evaluate``: signals, engine,
    stored metrics). Best of ``--repeat``, alternating the two sides. Goal: ≤ 1.5×.
(b) One backtest (``kinds.runs.execute.execute``, charts off and on) of SMA_CROSS(10, 20)
    against the same rule as an expression: median of ``--repeat`` × 10. Goal: ≤ 1.2×.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.sweep_bench import FAST, SLOW, goog_data_dir

SMA_ENTRY = "crossover(sma(close, $fast), sma(close, $slow))"
SMA_EXIT = "crossunder(sma(close, $fast), sma(close, $slow))"


def _sweep_body(rule_type: str) -> dict:
    params = {"entry": SMA_ENTRY, "exit": SMA_EXIT} if rule_type == "EXPR" else {}
    return {
        "ticker": "GOOG",
        "rule_type": rule_type,
        "params": params,
        "grid": {"fast": FAST, "slow": SLOW},
        "start_date": "2004-01-01",
        "end_date": "2014-01-01",
        "size_type": "percent",
        "position_size": 100,
        "fee_rate": 0.001,
    }


def part_a(folder, repeat: int) -> None:
    from kinds.runs.execute import load_market_data, market_window, signals_in_window
    from kinds.sweeps.contract import parse_sweep_request
    from kinds.sweeps.evaluate import BLOCK_ROWS, evaluate

    cases = {}
    for rule_type in ("SMA_CROSS", "EXPR"):
        sweep = parse_sweep_request(_sweep_body(rule_type))
        params_list = [sweep.grid.params(sweep.params, combo) for combo in sweep.grid.combos]
        cases[rule_type] = (sweep.base, params_list)
    signals = {name: [] for name in cases}
    full = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (request, params_list) in cases.items():
            frame = market_window(load_market_data(request, folder))
            started = time.perf_counter()
            cache: dict = {}
            for first in range(0, len(params_list), BLOCK_ROWS):
                signals_in_window(frame, name, params_list[first : first + BLOCK_ROWS], cache)
            signals[name].append(time.perf_counter() - started)
            started = time.perf_counter()
            evaluate(frame, request, params_list)
            full[name].append(time.perf_counter() - started)
    n = len(cases["EXPR"][1])
    print(f"(a) {n:,}-combination SMA-cross sweep on GOOG, best of {repeat}")
    for label, times in (("signals", signals), ("whole chunk evaluation", full)):
        ours, builtin = min(times["EXPR"]), min(times["SMA_CROSS"])
        print(
            f"    {label:24s} SMA_CROSS {builtin:7.3f} s   EXPR {ours:7.3f} s   "
            f"ratio {ours / builtin:4.2f}× (goal ≤ 1.5×)"
        )


def part_b(folder, repeat: int) -> None:
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import execute

    base = {"ticker": "GOOG", "start_date": "2004-01-01", "end_date": "2014-01-01"}
    requests = {
        "SMA_CROSS": {"rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 20}},
        "EXPR": {
            "rule_type": "EXPR",
            "params": {"entry": SMA_ENTRY, "exit": SMA_EXIT, "fast": 10, "slow": 20},
        },
    }
    print(f"(b) one backtest of SMA_CROSS(10, 20) on GOOG, median of {repeat * 10}")
    for charts in (False, True):
        times = {name: [] for name in requests}
        for _ in range(repeat * 10):
            for name, rule in requests.items():
                request = parse_request({**base, **rule, "charts": charts})
                started = time.perf_counter()
                execute(request, folder)
                times[name].append(time.perf_counter() - started)
        ours, builtin = statistics.median(times["EXPR"]), statistics.median(times["SMA_CROSS"])
        print(
            f"    charts={charts!s:5s} SMA_CROSS {builtin * 1000:7.1f} ms   "
            f"EXPR {ours * 1000:7.1f} ms   ratio {ours / builtin:4.2f}× (goal ≤ 1.2×)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    folder = goog_data_dir()
    part_a(folder, args.repeat)
    part_b(folder, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
