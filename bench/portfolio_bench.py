"""Portfolio backtest speed: our core against vectorbt's warm ``from_orders``, same run.

    .venv/bin/python -m bench.portfolio_bench [--repeat 5] [--skip-queue] [--skip-job]

(a) 100 tickers x 10 years of synthetic daily bars (2,520 weekdays, a fixed seed, a fifth of
    the tickers listed late; ``tests.engine.portfolio_universe``), monthly rebalancing,
    1,000,000 capital, fee 0.001, slippage 5 bps, two allocations: ``equal`` over the listed
    tickers, ``rank``: the top 20 by 63-bar momentum, equal weights, and ``erc``: equal risk
    contribution over the listed tickers from 63 returns, against vectorbt fed our weights
    plus skfolio's own risk-parity solves of the same windows. Ours =
    ``target_weights`` + ``simulate_portfolio`` (equity, cash, shares, weights, orders,
    contribution, turnover and the equal-weight benchmark); vectorbt 1.2.0 =
    ``Portfolio.from_orders`` with the parity test's options (targetpercent, grouped, cash
    sharing, call_seq auto, whole shares) and ``value()``, its numba compiled by a first
    call that is not counted. Each side runs in a fresh process with one math thread, as a
    consumer Job runs (``ONE_MATH_THREAD``: on a shared machine BLAS's thread per core
    slowed the risk solves fourfold): best wall time of ``--repeat`` calls after one
    warm-up, and the process's peak RSS. The equities are
    compared (they must agree to 1e-9). Goal: ours <= 1.0x vectorbt's time.
(b) 500 tickers x 10 years end to end through the queue on MariaDB: measured by
    ``bench.portfolio_queue_bench.measure(n_tickers, years)`` when that module exists (goals
    <= 0.8 s, the Job <= 0.5 s); otherwise the bench says it is not there.
(c) A 500-ticker equal-risk-contribution portfolio's Job against the equal-weight one: 500
    tickers x 10 years (``bench.portfolio_queue_bench.write_universe``, a fifth listed
    late), monthly, method ``equal`` over the listed tickers weighted ``equal`` or
    ``equal_risk_contribution`` (the default 63 returns), through the Job's own path
    (``kinds.portfolios.kind.run_locally``: the files, the targets, the simulation, the
    result and its JSON). Both in one fresh process with one math thread: a warm-up of each
    (it writes the files' binary copies), then ``--repeat`` rounds calling them one after
    the other, the best CPU time of each. Goal: erc <= 1.5x equal.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.peers import measured, vectorbt_python
from consumer.__main__ import ONE_MATH_THREAD
from engine.portfolio import (
    PortfolioConfig,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from engine.portfolio.risk import trailing_returns
from tests.engine.portfolio_peer import CHILD, peer_inputs
from tests.engine.portfolio_universe import Universe, random_universe

ORACLE = Path(__file__).resolve().parents[1] / "tests/engine/portfolio_risk_oracle.py"

SEED = 26
TICKERS = 100
BARS = 2_520
"""Ten years of weekdays."""
TOP_N = 20
MOMENTUM = 63
CONFIG = PortfolioConfig(initial_capital=1_000_000.0, fee_rate=0.001, slippage_bps=5.0)
METHODS = ("equal", "rank", "erc")
"""``erc``: equal risk contribution over the listed tickers from 63 returns (an addition)."""
QUEUE_MODULE = "bench.portfolio_queue_bench"
JOB_TICKERS = 500
JOB_YEARS = 10
JOB_GOAL = 1.5
"""(c): the erc Job's CPU time at most this multiple of the equal-weight Job's."""
JOB_WEIGHTINGS = {"equal": "equal", "erc": "equal_risk_contribution"}


def universe() -> Universe:
    """The benchmark's universe: the same bytes on every run."""
    return random_universe(np.random.default_rng(SEED), BARS, TICKERS, late_share=0.2)


def momentum(close: np.ndarray) -> np.ndarray:
    """close / close 63 bars earlier - 1 (NaN where either is missing)."""
    earlier = np.vstack([np.full((MOMENTUM, close.shape[1]), np.nan), close[:-MOMENTUM]])
    return close / earlier - 1.0


def run_ours(market: Universe, method: str, scores: np.ndarray | None):
    """target_weights + simulate_portfolio, as a portfolio Job calls them."""
    decide = rebalance_schedule(market.days, "monthly")
    if method == "equal":
        targets = target_weights(market.has_bar, method="equal")
    elif method == "erc":
        targets = target_weights(
            market.has_bar,
            method="equal",
            weighting="equal_risk_contribution",
            close=market.close,
            lookback=MOMENTUM,
            rows=decide,
        )
    else:
        targets = target_weights(
            market.has_bar, method="rank", scores=scores, top_n=TOP_N, rows=decide
        )
    return targets, decide, simulate_portfolio(market.open_, market.close, targets, decide, CONFIG)


def child_ours(method: str, repeat: int, equity_path: str) -> None:
    """Our side in its own process: one warm-up, best of ``repeat``; prints one JSON line."""
    market = universe()
    scores = momentum(market.close) if method == "rank" else None
    started = time.perf_counter()
    run_ours(market, method, scores)
    warmup = time.perf_counter() - started
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        _, _, result = run_ours(market, method, scores)
        best = min(best, time.perf_counter() - started)
    np.save(equity_path, result.equity)
    orders = len(result.orders)
    print(json.dumps({"seconds": best, "warmup_seconds": warmup, "orders": orders}))


def library_solve_seconds(python: str, market: Universe, decide: np.ndarray, folder: str) -> float:
    """skfolio's time to solve the erc case's risk-parity windows (in .venv-bench); printed,
    and added to vectorbt's, which is fed our precomputed weights."""
    chosen = market.has_bar & decide[:, None]
    windows = {
        f"w{t}": returns
        for t, _, returns in trailing_returns(market.close, chosen, MOMENTUM)
        if returns.shape[0] > 2 and returns.shape[1] > 1  # the windows we solve, not equal
    }
    source = Path(folder, "erc-windows.npz")
    np.savez(source, **windows)
    command = [python, "-W", "ignore", str(ORACLE), "--time", str(source)]
    solved, _ = measured(command, ONE_MATH_THREAD)
    print(
        f"  erc    skfolio risk parity: {solved['seconds'] * 1000:8.1f} ms for "
        f"{solved['windows']} decisions (added to vectorbt's time below)"
    )
    return float(solved["seconds"])


def part_a(repeat: int) -> None:
    print(f"(a) {TICKERS} tickers x {BARS} daily bars, monthly rebalancing, best of {repeat}")
    python = vectorbt_python()
    market = universe()
    with tempfile.TemporaryDirectory(prefix="portfolio-bench-") as folder:
        for method in METHODS:
            ours_equity = Path(folder, f"ours-{method}.npy")
            command = [sys.executable, "-m", "bench.portfolio_bench", "--child", method]
            ours, ours_mb = measured(
                [*command, "--repeat", str(repeat), str(ours_equity)], ONE_MATH_THREAD
            )
            print(
                f"  {method:5}  ours      {ours['seconds'] * 1000:8.1f} ms   "
                f"peak RSS {ours_mb:5.0f} MB   ({ours['orders']} orders)"
            )
            if python is None:
                print("  vectorbt: UNAVAILABLE (install requirements-bench.txt into .venv-bench)")
                continue
            scores = momentum(market.close) if method == "rank" else None
            targets, decide, _ = run_ours(market, method, scores)
            source, target = Path(folder, f"in-{method}.npz"), Path(folder, f"out-{method}.npz")
            np.savez(source, **peer_inputs(market.open_, market.close, targets, decide, CONFIG))
            peer_command = [python, str(CHILD), "--repeat", str(repeat), str(source), str(target)]
            peer, peer_mb = measured(peer_command, ONE_MATH_THREAD)
            if method == "erc":
                peer["seconds"] += library_solve_seconds(python, market, decide, folder)
            with np.load(target) as data:
                version, value = str(data["version"]), data["value"]
            deviation = float(np.max(np.abs(np.load(ours_equity) - value) / value))
            print(
                f"  {method:5}  vectorbt {version}{' + skfolio' if method == 'erc' else ''} "
                f"{peer['seconds'] * 1000:8.1f} ms   "
                f"peak RSS {peer_mb:5.0f} MB   (numba warm-up {peer['warmup_seconds']:.1f} s "
                f"not counted)"
            )
            peer_name = "(vectorbt + skfolio)" if method == "erc" else "vectorbt"
            print(
                f"  {method:5}  ratio ours/{peer_name}: time "
                f"{ours['seconds'] / peer['seconds']:.2f} "
                f"(goal <= 1.0), memory {ours_mb / peer_mb:.2f}; equity max relative "
                f"deviation {deviation:.1e}"
            )


def job_request(tickers: list[str], weighting: str) -> dict:
    """(c)'s portfolio: ``weighting`` over every listed ticker, rebalanced monthly."""
    from bench.portfolio_queue_bench import BARS_PER_YEAR, FIRST_DAY

    last = np.busday_offset(FIRST_DAY, JOB_YEARS * BARS_PER_YEAR - 1, roll="forward")
    return {
        "tickers": tickers,
        "start_date": str(FIRST_DAY),
        "end_date": str(last),
        "fee_rate": 0.001,
        "slippage_bps": 5,
        "allocation": {"method": "equal", "weighting": weighting},
        "rebalance": {"schedule": "monthly"},
    }


def child_job(repeat: int, folder: str) -> None:
    """(c)'s two Jobs in this process (DATA_DIR = ``folder``): a warm-up of each, then
    ``repeat`` rounds calling one after the other (so a change in the machine's load meets
    both), the best CPU time of each; prints one JSON line."""
    from kinds.portfolios.kind import run_locally

    tickers = sorted(json.loads(Path(folder, "catalog.json").read_text()))
    requests = {case: job_request(tickers, weighting) for case, weighting in JOB_WEIGHTINGS.items()}
    for request in requests.values():
        run_locally(request)  # writes the binary copies, as an imported file has them
    best = dict.fromkeys(requests, float("inf"))
    for _ in range(repeat):
        for case, request in requests.items():
            started = time.process_time()
            run_locally(request)
            best[case] = min(best[case], time.process_time() - started)
    print(json.dumps(best))


def part_c(repeat: int) -> None:
    print(
        f"(c) {JOB_TICKERS} tickers x {JOB_YEARS} years, monthly: the Job's CPU time, "
        f"equal risk contribution against equal weight, best of {repeat} "
        f"(goal <= {JOB_GOAL}x)"
    )
    from bench.portfolio_queue_bench import write_universe

    with tempfile.TemporaryDirectory(prefix="portfolio-job-bench-") as work:
        folder = Path(work, "data")
        folder.mkdir()
        write_universe(folder, JOB_TICKERS, JOB_YEARS)
        env = {**ONE_MATH_THREAD, "DATA_DIR": str(folder), "BARS_CACHE_DIR": f"{work}/bars"}
        env["LOG_LEVEL"] = os.environ.get("LOG_LEVEL", "WARNING")
        command = [sys.executable, "-m", "bench.portfolio_bench", "--job-child"]
        seconds, _ = measured([*command, "--repeat", str(repeat), str(folder)], env)
    for case, cpu in seconds.items():
        print(f"  {case:5}  the Job  {cpu * 1000:8.1f} CPU-ms")
    ratio = seconds["erc"] / seconds["equal"]
    met = "met" if ratio <= JOB_GOAL else "NOT met"
    print(f"  erc/equal: {ratio:.2f} (goal <= {JOB_GOAL}: {met})")


def part_b() -> None:
    print(
        "(b) 500 tickers x 10 years end to end through the queue on MariaDB "
        "(goals <= 0.8 s, the Job <= 0.5 s)"
    )
    if importlib.util.find_spec(QUEUE_MODULE) is None:
        print(f"  {QUEUE_MODULE} is not there: no end-to-end figure")
        return
    figures = importlib.import_module(QUEUE_MODULE).measure(500, 10)
    for key, value in figures.items():
        print(f"  {key}: {value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.portfolio_bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timed calls a side (best taken)")
    parser.add_argument("--skip-queue", action="store_true", help="leave out (b)")
    parser.add_argument("--skip-job", action="store_true", help="leave out (c)")
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--job-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_ours(args.child, args.repeat, args.path)
        return
    if args.job_child:
        child_job(args.repeat, args.path)
        return
    part_a(args.repeat)
    if not args.skip_queue:
        part_b()
    if not args.skip_job:
        part_c(args.repeat)


if __name__ == "__main__":
    main()
