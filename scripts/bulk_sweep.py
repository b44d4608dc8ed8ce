"""Submit a parameter sweep from the command line, wait for it with a progress bar
(``scripts.bulk_progress``) and print the top combinations.

    python -m scripts.bulk_sweep --rule SMA_CROSS --grid fast=5:50:5 --grid slow=20:200:10 \\
        --tickers ACME,GLOBEX --start 2016-01-01 --end 2020-12-31 [--param k=v] \\
        [--direction longshort] [--size-type percent --position-size 100] [--metric sharpe_ratio]

A grid entry is ``name=start:stop:step`` (stop included) or ``name=v1,v2,v3``; ``--param``
fixes a base parameter. It is also ``python -m scripts.bulk_submit [--url URL] sweep …``.
The exit codes are every bulk command's (``scripts.bulk_client``): 0 the sweep SUCCEEDED,
1 the API refused it (its message names the field) or it ended FAILED or PARTIAL, 2 bad
options, 3 the API could not be reached, 4 the wait timed out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Collection
from functools import partial
from typing import Any, TextIO, TypeVar

from backtest_client import BacktestError, BacktestUnavailable, Client, Sweep
from data.timeframe import TIMEFRAMES
from engine import DIRECTIONS, SIZE_TYPES
from kinds.sweeps.contract import TRADING_FIELDS
from kinds.sweeps.grid import is_range_text
from kinds.sweeps.status import SWEEP_FINISHED, SweepStatus
from metrics import SWEEP_METRIC_KEYS
from scripts.bulk_client import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TIMEOUT,
    EXIT_UNAVAILABLE,
    ApiUnavailable,
    add_values_option,
    announcement,
    command_parser,
)
from scripts.bulk_grid import JSON_STARTS
from scripts.bulk_progress import ProgressBar

T = TypeVar("T")

FINISHED = SWEEP_FINISHED
"""The statuses a sweep stops changing in: the wait ends."""


OPTIONAL_TRADING_FIELDS = tuple(f for f in TRADING_FIELDS if f not in ("start_date", "end_date"))
"""The sweep's shared run fields the command line may set (``kinds.sweeps.contract.TRADING_FIELDS``
less the required dates, which are --start and --end)."""

CHOICES = {"size_type": SIZE_TYPES, "direction": DIRECTIONS, "timeframe": TIMEFRAMES}


def _scalar(text: str) -> Any:
    """ "10" -> 10, "2.5" -> 2.5, anything else stays a string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def parse_assignment(text: str, *, grid: bool) -> tuple[str, Any]:
    """``name=value``: a grid value keeps a range string and splits a comma list; a base
    value is a number or the whole text (an EXPR condition: spaces, commas and parentheses
    kept). A value starting with ``"``, ``[`` or ``{`` is JSON (``bounds={"n": [2, 50]}``,
    ``low=[10, 20]``)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    value = value.strip()
    if value[0] in JSON_STARTS:
        try:
            return name.strip(), json.loads(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{name.strip()}: not valid JSON ({exc})") from None
    if grid and not is_range_text(value):
        return name.strip(), [_scalar(v) for v in value.split(",") if v.strip()]
    return name.strip(), value if grid else _scalar(value)


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("python -m scripts.bulk_sweep", __doc__)
    parser.add_argument("--rule", required=True, help="rule_type, e.g. SMA_CROSS")
    add_values_option(parser, "--grid", "a swept parameter: start:stop:step or v1,v2,...")
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a fixed base parameter"
    )
    parser.add_argument(
        "--tickers", "--ticker", required=True, help="comma-separated tickers (one: a walk-forward)"
    )
    add_window_options(parser)
    parser.add_argument("--chunk-size", type=int)
    parser.add_argument("--metric", default="sharpe_ratio", choices=SWEEP_METRIC_KEYS)
    parser.add_argument("--top", type=int, default=10, help="rows of the final table")
    add_wait_options(parser)
    return parser


def add_window_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """--start, --end (``required``: else the command checks them) and the optional trading
    fields (``OPTIONAL_TRADING_FIELDS``)."""
    parser.add_argument("--start", required=required, help="start_date YYYY-MM-DD")
    parser.add_argument("--end", required=required, help="end_date YYYY-MM-DD")
    for name in OPTIONAL_TRADING_FIELDS:
        choices = CHOICES.get(name)
        parser.add_argument(
            "--" + name.replace("_", "-"), type=None if choices else float, choices=choices
        )


def add_wait_options(parser: argparse.ArgumentParser) -> None:
    """--timeout, --poll and --no-wait of a command that waits for what it submitted."""
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--no-wait", action="store_true", help="submit and exit")


def sweep_body(args: argparse.Namespace) -> dict[str, Any]:
    """The POST /api/sweeps body described by the command line."""
    body: dict[str, Any] = {
        "rule_type": args.rule,
        "tickers": [t.strip() for t in args.tickers.split(",") if t.strip()],
        "start_date": args.start,
        "end_date": args.end,
        "grid": dict(parse_assignment(g, grid=True) for g in args.grid),
    }
    if args.param:
        body["params"] = dict(parse_assignment(p, grid=False) for p in args.param)
    for name in (*OPTIONAL_TRADING_FIELDS, "chunk_size"):
        value = getattr(args, name)
        if value is not None:
            body[name] = value
    return body


def progress_counts(status: dict[str, Any]) -> tuple[int, int, str]:
    """Combos done of all, then the failed count and the status: ``(4200, 10000,
    "RUNNING")``."""
    progress = status["progress"]
    failed = f"{progress['failed']:,} failed  " if progress["failed"] else ""
    return progress["done"], progress["total"], f"{failed}{status['status']}"


def right_aligned(header: list[str], rows: list[list[str]]) -> str:
    """``header`` and ``rows`` as a fixed-width text table, every column right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    )


def top_table(results: list[dict[str, Any]], metric: str) -> str:
    """The top combinations as a fixed-width text table."""
    if not results:
        return "(no stored results)"
    names = list(results[0]["params"])
    shown = [
        metric,
        *(
            m
            for m in ("total_return_pct", "sharpe_ratio", "max_drawdown_pct", "num_trades")
            if m != metric
        ),
    ]
    header = ["#", "ticker", *names, *shown]
    rows = [
        [
            str(r["combo_no"]),
            r["ticker"],
            *(str(r["params"][n]) for n in names),
            *("—" if r["metrics"][m] is None else f"{r['metrics'][m]:.4g}" for m in shown),
        ]
        for r in results
    ]
    return right_aligned(header, rows)


def submit_sweep(client: Client, args: argparse.Namespace) -> Sweep:
    """POST the sweep the command line describes."""
    return client.sweep(**sweep_body(args))


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Submit, wait with a progress bar, print the top table; return the exit code."""
    return run_command(
        submit_sweep, accepted_line, follow_sweep, build_parser().parse_args(argv), out
    )


def run_command(
    submit: Callable[[Client, argparse.Namespace], T],
    announce: Callable[[T], str],
    follow: Callable[[T, argparse.Namespace, TextIO], int],
    args: argparse.Namespace,
    out: TextIO | None,
) -> int:
    """A submitting command with a client of ``--url``, writing to ``out`` (stdout if
    None): ``submit`` once (``submitted``; refused: ``EXIT_REJECTED``), print ``announce``
    of what was accepted, then, unless ``--no-wait``, ``follow`` it for the exit code.
    ``EXIT_UNAVAILABLE`` with a line on stderr when the API cannot be reached."""
    out = out or sys.stdout
    client = Client(args.url, timeout=60, retries=5)
    try:
        handle = submitted(lambda: submit(client, args), out)
        if handle is None:
            return EXIT_REJECTED
        print(announce(handle), file=out)
        return EXIT_OK if args.no_wait else follow(handle, args, out)
    except ApiUnavailable as exc:
        print(f"error: the API is unavailable: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


def submitted(submit: Callable[[], T], out: TextIO) -> T | None:
    """``submit()`` (a POST never retried: a second would be a second sweep or
    walk-forward), or None after printing the API's refusal with the field it names."""
    try:
        return submit()
    except BacktestUnavailable:
        raise
    except BacktestError as exc:
        field = f"{exc.field}: " if exc.field else ""
        print(f"refused ({exc.status}): {field}{exc.message}", file=out)
        return None


def wait_with_bar(
    refresh: Callable[[], dict[str, Any]],
    counts: Callable[[dict[str, Any]], tuple[int, int, str]],
    finished: Collection[str],
    args: argparse.Namespace,
    out: TextIO,
    goes_on: str,
) -> dict[str, Any] | None:
    """Poll ``refresh`` every ``args.poll`` s, showing ``counts(status)`` (combos done, of
    all, a detail) on the bulk commands' progress bar, until its status is in ``finished``
    or ``args.timeout`` s passed; then the seconds waited. The last status, or None after
    saying it timed out and ``goes_on`` (where the work goes on)."""
    deadline = time.monotonic() + args.timeout
    started = time.monotonic()
    bar: ProgressBar | None = None
    while True:
        status = refresh()
        done, total, detail = counts(status)
        bar = bar or ProgressBar(total, "combos", out)
        bar.update(done, total, detail)
        if status["status"] in finished or time.monotonic() > deadline:
            break
        time.sleep(args.poll)
    bar.close()
    out.write(f"waited {time.monotonic() - started:.1f} s\n")
    if status["status"] not in finished:
        print(f"timed out after {args.timeout:.0f} s; {goes_on}", file=out)
        return None
    return status


def ended(
    status: dict[str, Any] | None,
    out: TextIO,
    report: Callable[[dict[str, Any]], str],
    error: str = "error_message",
) -> int:
    """The exit code of a followed item's last ``status`` (``wait_with_bar``'s):
    ``EXIT_TIMEOUT`` for None, ``EXIT_REJECTED`` after a line with its ``error`` field unless
    it SUCCEEDED, else ``EXIT_OK`` after printing ``report(status)``."""
    if status is None:
        return EXIT_TIMEOUT
    if status["status"] != "SUCCEEDED":
        print(f"FAILED: {status[error]}", file=out)
        return EXIT_REJECTED
    print(report(status), file=out)
    return EXIT_OK


accepted_line = announcement(
    "sweep {sweep_id}: {combos:,} combos in {chunks} chunks ({skipped:,} skipped by constraints)"
)
"""The line announcing an accepted sweep: its id, combos, chunks and skipped ones."""


def follow_sweep(sweep: Sweep, args: argparse.Namespace, out: TextIO) -> int:
    """Wait for ``sweep`` on the progress bar, print its top ``args.top`` by ``args.metric``;
    the exit code."""
    refresh = partial(sweep.refresh, metric=args.metric)
    goes_on = f"the sweep goes on: {sweep.accepted['status_url']}"
    status = wait_with_bar(refresh, progress_counts, FINISHED, args, out, goes_on)
    if status is None:
        return EXIT_TIMEOUT
    results = sweep.top(args.top, args.metric)
    print(f"top {len(results)} by {args.metric}:", file=out)
    print(top_table(results, args.metric), file=out)
    return EXIT_OK if status["status"] == SweepStatus.SUCCEEDED else EXIT_REJECTED


if __name__ == "__main__":
    sys.exit(main())
