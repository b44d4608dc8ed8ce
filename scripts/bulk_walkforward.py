"""Submit a walk-forward from the command line, wait for it with a progress bar
(``scripts.bulk_progress``: combos done, folds done) and print the fold table and the
out-of-sample metrics.

    python -m scripts.bulk_walkforward --rule SMA_CROSS --grid fast=5:50:5 \\
        --grid slow=20:200:10 --tickers ACME --start 2016-01-01 --end 2024-12-31 \\
        --train-bars 500 --test-bars 125 [--step-bars N] [--anchored] \\
        [--metric sharpe_ratio] [--min-trades 1]

Every sweep option works as for ``scripts.bulk_sweep`` (``--param``, trading fields,
``--chunk-size``). It is also ``python -m scripts.bulk_submit [--url URL] walkforward …``.
The exit codes are every bulk command's (``scripts.bulk_client``): 0 SUCCEEDED, 1 refused
by the API (its message names the field) or FAILED, 2 bad options, 3 the API could not be
reached, 4 the wait timed out.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from backtest_client import Client
from backtest_client.walkforward import WalkForward
from scripts.bulk_client import announcement
from scripts.bulk_sweep import build_parser as sweep_parser
from scripts.bulk_sweep import (
    ended,
    right_aligned,
    run_command,
    sweep_body,
    wait_with_bar,
)

FINISHED = ("SUCCEEDED", "FAILED")
SHOWN = ("total_return_pct", "sharpe_ratio", "max_drawdown_pct", "num_trades")
"""The test metrics the fold table and the summary show."""


def build_parser() -> argparse.ArgumentParser:
    """The sweep command's options plus the walk-forward's."""
    parser = sweep_parser()
    parser.prog = "python -m scripts.bulk_walkforward"
    parser.description = __doc__
    parser.add_argument("--train-bars", type=int, required=True)
    parser.add_argument("--test-bars", type=int, required=True)
    parser.add_argument("--step-bars", type=int)
    parser.add_argument("--anchored", action="store_true", help="training windows grow")
    parser.add_argument("--min-trades", type=int)
    return parser


def walkforward_body(args: argparse.Namespace) -> dict[str, Any]:
    """The POST /api/walkforward body described by the command line."""
    body = sweep_body(args)
    tickers = body.pop("tickers")  # one ticker; several are the API's 400 (field tickers)
    body["ticker"] = tickers[0] if len(tickers) == 1 else None
    if len(tickers) != 1:
        body["tickers"] = tickers
    body.update(train_bars=args.train_bars, test_bars=args.test_bars, metric=args.metric)
    if args.anchored:
        body["anchored"] = True
    for name in ("step_bars", "min_trades"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    return body


def progress_counts(status: dict[str, Any]) -> tuple[int, int, str]:
    """Combos done of all the folds' sweeps, then the folds done and the status:
    ``(42000, 100000, "3/10 folds  RUNNING")``."""
    progress = status["progress"]
    detail = f"{progress['folds_done']}/{progress['folds']} folds  {status['status']}"
    return progress["combos_done"], progress["combos_total"], detail


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def fold_table(status: dict[str, Any]) -> str:
    """One line per fold: windows, status, chosen params, training metric, test metrics."""
    names = list(status["request"]["grid"])
    metric = status["request"]["metric"]
    header = ["fold", "test_start", "test_end", "status", *names, f"train_{metric}"]
    header += [f"test_{m}" for m in SHOWN]
    rows = []
    for fold in status["folds"]:
        params = fold["params"] or {}
        tests = fold["test_metrics"] or {}
        rows.append(
            [
                str(fold["fold"]),
                fold["test"]["start"][:10],
                fold["test"]["end"][:10],
                fold["status"],
                *(_cell(params.get(n)) for n in names),
                _cell(fold["train_metric"]),
                *(_cell(tests.get(m)) for m in SHOWN),
            ]
        )
    return right_aligned(header, rows)


def summary(status: dict[str, Any]) -> str:
    """The stitched out-of-sample metrics and WFE, one line."""
    metrics = (status["oos"] or {}).get("metrics") or {}
    parts = [f"{m} {_cell(metrics.get(m))}" for m in SHOWN]
    return f"out of sample: {', '.join(parts)}; WFE {_cell(status['wfe'])}"


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Submit, wait with a progress bar, print the folds; return the exit code."""
    args = build_parser().parse_args(argv)
    return run_command(submit_walkforward, accepted_line, follow_walkforward, args, out)


def submit_walkforward(client: Client, args: argparse.Namespace) -> WalkForward:
    """POST the walk-forward the command line describes."""
    return client.walkforward(**walkforward_body(args))


accepted_line = announcement(
    "walk-forward {walkforward_id}: {folds} folds × {combos_per_fold:,} combos"
)
"""The line that says a walk-forward was accepted: its id, folds and combos per fold."""


def follow_walkforward(handle: WalkForward, args: argparse.Namespace, out: TextIO) -> int:
    """Wait with a progress bar, print the fold table and the out-of-sample summary; the
    exit code."""
    goes_on = f"it goes on: {handle.status_url}"
    status = wait_with_bar(handle.refresh, progress_counts, FINISHED, args, out, goes_on)
    if status is not None:
        print(fold_table(status), file=out)
    return ended(status, out, summary)


if __name__ == "__main__":
    sys.exit(main())
