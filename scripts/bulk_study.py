"""Submit an optimisation study from the command line, wait for it with a progress bar
(``scripts.bulk_progress``: trials done of the budget) and print its best trials.

    python -m scripts.bulk_study --rule RSI --space period=2:60 --space oversold=10:45:0.5 \\
        --ticker ACME --start 2016-01-01 --end 2020-12-31 [--param k=v] [--trials 200] \\
        [--objective sharpe_ratio:maximize] [--objective max_drawdown_pct:minimize] \\
        [--sampler tpe] [--time-budget 600] [--parallelism 2] [--batch-size 250] [--seed 0]

A space entry is ``name=low:high`` with an optional ``:step`` or ``:log``; ``--param`` fixes
a parameter; the trading fields are the sweep command's (``--fee-rate``…).

A study over a portfolio takes its base from a file instead of ``--rule`` and ``--ticker``
(the body of ``POST /api/portfolios``), its space over the names the portfolio declares:

    python -m scripts.bulk_study --portfolio momentum.json --space lookback=20:250 \
        --space top_n=1:10 [--trials 100] [--objective …] [--sampler …]

Exit codes are
every bulk command's (``scripts.bulk_client``): 0 SUCCEEDED, 1 refused by the API (its
message names the field) or FAILED, 2 bad options, 3 the API could not be reached, 4 the wait
timed out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from backtest_client import Client
from backtest_client.studies import FINISHED, Study
from metrics import sweep_metric_keys
from scripts.bulk_client import EXIT_USAGE, command_parser
from scripts.bulk_portfolio import requests_of
from scripts.bulk_sweep import (
    OPTIONAL_TRADING_FIELDS,
    add_wait_options,
    add_window_options,
    ended,
    parse_assignment,
    right_aligned,
    run_command,
    wait_with_bar,
)

SAMPLERS = ("tpe", "cmaes", "random", "nsga2")
TOP = 5
"""Best trials the final table shows."""


def space_entry(text: str) -> tuple[str, dict[str, Any]]:
    """``name=low:high[:step|:log]`` as a space entry."""
    name, sep, value = text.partition("=")
    parts = value.split(":")
    if not sep or not name.strip() or len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected name=low:high[:step|:log], got {text!r}")
    try:
        entry: dict[str, Any] = {"low": _number(parts[0]), "high": _number(parts[1])}
        if len(parts) == 3:
            entry.update({"log": True} if parts[2] == "log" else {"step": _number(parts[2])})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number in {text!r}") from None
    return name.strip(), entry


def _number(text: str) -> int | float:
    return int(text) if text.strip().lstrip("+-").isdigit() else float(text)


def objective(text: str) -> dict[str, str]:
    """``metric[:maximize|minimize]`` (default maximize)."""
    metric, _, direction = text.partition(":")
    if metric not in sweep_metric_keys() or direction not in ("", "maximize", "minimize"):
        raise argparse.ArgumentTypeError(f"expected metric[:maximize|minimize], got {text!r}")
    return {"metric": metric, "direction": direction or "maximize"}


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("python -m scripts.bulk_study", __doc__)
    parser.add_argument("--rule", help="rule_type, e.g. RSI (a run study)")
    parser.add_argument(
        "--portfolio", type=Path, metavar="FILE", help="a portfolio request: the study's base"
    )
    parser.add_argument(
        "--space", action="append", type=space_entry, required=True, metavar="NAME=LOW:HIGH"
    )
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--ticker", help="the run study's ticker")
    add_window_options(parser, required=False)  # a portfolio study's are its base's
    parser.add_argument("--objective", action="append", type=objective, default=[])
    parser.add_argument("--sampler", choices=SAMPLERS)
    parser.add_argument("--trials", type=int, help="the trial budget (n_trials)")
    parser.add_argument("--time-budget", type=float, help="timeout_s: seconds from submission")
    parser.add_argument("--parallelism", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--seed", type=int)
    add_wait_options(parser)
    return parser


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The study's own options the command line gives (left out: the server's defaults)."""
    options = {
        "objectives": args.objective or None,
        "sampler": args.sampler,
        "n_trials": args.trials,
        "timeout_s": args.time_budget,
        "parallelism": args.parallelism,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    return {name: value for name, value in options.items() if value is not None}


def portfolio_study_fields(args: argparse.Namespace) -> dict[str, Any]:
    """``Client.portfolio_study``'s arguments: the base from ``--portfolio``, the space and
    the study's options.

    :raise ValueError: the file is not one portfolio request.
    """
    found = requests_of([args.portfolio])
    if len(found) != 1:
        raise ValueError(f"{args.portfolio}: expected one portfolio request")
    return {"base": found[0], "space": dict(args.space), **_options(args)}


def study_fields(args: argparse.Namespace) -> dict[str, Any]:
    """``Client.study``'s arguments described by the command line."""
    fields: dict[str, Any] = {
        "rule_type": args.rule,
        "space": dict(args.space),
        "ticker": args.ticker,
        "start_date": args.start,
        "end_date": args.end,
        "params": dict(parse_assignment(p, grid=False) for p in args.param) or None,
    }
    trading = {name: getattr(args, name) for name in OPTIONAL_TRADING_FIELDS}
    fields.update({name: value for name, value in trading.items() if value is not None})
    return {**fields, **_options(args)}


def progress_counts(status: dict[str, Any]) -> tuple[int, int, str]:
    """Trials done of the budget, and the status: ``(120, 200, "RUNNING")``."""
    counts = status["counts"]
    done = counts["complete"] + counts["pruned"]
    paused = "paused  " if status["paused"] else ""
    return done, counts["n_trials"], f"{paused}{status['status']}"


def best_table(status: dict[str, Any]) -> str:
    """The best trials (one objective) or the Pareto front (two): number, params, values."""
    names = list(status["request"]["space"])
    metrics = [o["metric"] for o in status["objectives"]]
    rows = [
        [str(t["number"]), *(f"{t['params'][n]:g}" for n in names),
         *(f"{v:.4g}" for v in t["values"])]
        for t in status["best_trials"][: TOP if len(metrics) == 1 else None]
    ]  # fmt: skip
    return right_aligned(["trial", *names, *metrics], rows)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Submit, wait with a progress bar, print the best trials; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run_study = (args.rule, args.ticker, args.start, args.end)
    if args.portfolio is None and None in run_study:
        parser.error("give --rule, --ticker, --start and --end (a run study) or --portfolio FILE")
    fields: dict[str, Any] = {}
    if args.portfolio is not None:
        try:
            fields = portfolio_study_fields(args)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE

    def submit(client: Client, args: argparse.Namespace) -> Study:
        if fields:
            return client.portfolio_study(**fields)
        return client.study(**study_fields(args))

    return run_command(submit, lambda study: f"study {study.study_id}", _follow, args, out)


def _follow(handle: Study, args: argparse.Namespace, out: TextIO) -> int:
    goes_on = f"it goes on: {handle.status_url}"
    status = wait_with_bar(handle.refresh, progress_counts, FINISHED, args, out, goes_on)
    return ended(status, out, best_table)


if __name__ == "__main__":
    sys.exit(main())
