"""``python -m scripts.bulk_submit``: submit many backtests through the HTTP API, resumably.

From a grid::

    python -m scripts.bulk_submit --tickers ACME,GLOBEX --rules RSI,SMA_CROSS \\
        --param period=10:30:2 --param fast=5,10 --wait --out results.csv

or from a file of requests (``--input requests.json`` / ``requests.csv``, see
``scripts/bulk_inputs.py``). Each input request gets a UUID4 run_id chosen here and written
to the state file (``--state``; default: in the user data directory's ``bulk/``,
``<input file>-<hash>.state.jsonl`` or ``bulk-<hash of the grid>.state.jsonl``, never in
the checkout) BEFORE it is posted, so a
re-run with the same input submits only what was never accepted and otherwise just waits
and reads. ``--wait`` polls until every run finished and prints the best runs by
``--metric``; ``--out`` writes every result as CSV. All API calls share ``--rate``
requests per second.

Exit codes: 0 done; 1 some requests were refused with 400 (each is printed with its field
and message); 2 bad options or input; 3 the API could not be reached; 4 ``--wait`` timed out.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
import uuid
from collections import Counter
from importlib import import_module
from pathlib import Path
from typing import Any, TextIO

from data.location import user_path
from engine.param_specs import (
    DIRECTIONS,
    FEE_RATE,
    INITIAL_CAPITAL,
    POSITION_SIZE,
    SIZE_TYPES,
    SLIPPAGE_BPS,
)
from scripts.bulk_client import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TIMEOUT,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    ApiClient,
    ApiUnavailable,
    add_values_option,
    command_parser,
)
from scripts.bulk_grid import GridError, expand_grid, merge_params, parse_param
from scripts.bulk_inputs import InputError, read_requests
from scripts.bulk_progress import ProgressBar
from scripts.bulk_report import results_rows, summary_table, write_results_csv
from scripts.bulk_state import Journal, inputs_key, request_key
from work.status import FINISHED, RunStatus

DEFAULT_START = "1900-01-01"
DEFAULT_END = "2099-12-31"
"""Grid default dates: every bar of each ticker's file."""

FINISHED_STATUSES = tuple(FINISHED)


GRID_NUMBERS = (INITIAL_CAPITAL, FEE_RATE, SLIPPAGE_BPS, POSITION_SIZE)
"""The trading numbers a grid takes as options (``--initial-capital``…), applied to every
request; the server checks them against these specs' bounds."""


def _csv_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "python -m scripts.bulk_submit",
        "Submit many backtests through the HTTP API (resumable).\n\n"
        "A parameter sweep is the subcommand `sweep`:\n"
        "  python -m scripts.bulk_submit [--url URL] sweep --rule … --grid … (see sweep --help)\n"
        "a walk-forward the subcommand `walkforward` (see walkforward --help)\n"
        "portfolio requests from JSON files the subcommand `portfolio`\n"
        "sweeps over a portfolio from JSON files the subcommand `portfolio_sweep`\n"
        "walk-forwards over a portfolio from JSON files the subcommand `portfolio_walkforward`\n"
        "and requests of any kind, by its resource, the subcommand `kind RESOURCE`",
    )
    source = parser.add_argument_group("what to submit: a grid, or --input")
    source.add_argument("--tickers", type=_csv_list, help="comma-separated tickers")
    source.add_argument("--rules", type=_csv_list, help="comma-separated rule types")
    add_values_option(
        source,
        "--param",
        "a rule parameter's values: start:stop:step (inclusive), v1,v2,... or JSON "
        "(starting with \" [ or {); EXPR's entry/exit take the whole text; applies to every "
        "selected rule that has it (repeatable)",
    )
    source.add_argument("--input", help="a .json or .csv file of requests instead of a grid")
    request = parser.add_argument_group("request fields for a grid")
    request.add_argument("--start", default=DEFAULT_START, help="start_date (default: all)")
    request.add_argument("--end", default=DEFAULT_END, help="end_date (default: all)")
    for spec in GRID_NUMBERS:
        request.add_argument(f"--{spec.name.replace('_', '-')}", type=float)
    request.add_argument("--size-type", choices=SIZE_TYPES)
    request.add_argument("--direction", choices=DIRECTIONS)
    request.add_argument(
        "--no-charts", action="store_true", help="skip the server-side PNG charts (faster)"
    )
    request.add_argument(
        "--no-cache",
        action="store_true",
        help="run a Job for every request, never answer from the result cache",
    )
    run = parser.add_argument_group("running")
    run.add_argument("--state", help="state file (default derived from the input)")
    run.add_argument("--rate", type=float, default=10.0, help="API requests per second (10)")
    run.add_argument(
        "--retries", type=int, default=5, help="tries after a failed API call, backing off (5)"
    )
    run.add_argument("--wait", action="store_true", help="poll until every run finished")
    run.add_argument("--poll", type=float, default=2.0, help="seconds between polls (2)")
    run.add_argument("--timeout", type=float, default=3600.0, help="--wait limit in s (3600)")
    run.add_argument("--metric", default="sharpe_ratio", help="rank the summary by (sharpe)")
    run.add_argument("--top", type=int, default=10, help="rows in the summary table (10)")
    run.add_argument("--out", help="write every result to this CSV file")
    run.add_argument("--dry-run", action="store_true", help="show the plan, submit nothing")
    return parser


def _grid_base(args: argparse.Namespace) -> dict[str, Any]:
    base: dict[str, Any] = {"start_date": args.start, "end_date": args.end}
    for spec in GRID_NUMBERS:
        value = getattr(args, spec.name)
        if value is not None:
            base[spec.name] = value
    for name in ("size_type", "direction"):
        if getattr(args, name):
            base[name] = getattr(args, name)
    if args.no_charts:
        base["charts"] = False
    if args.no_cache:
        base["cache"] = False
    return base


def load_inputs(
    args: argparse.Namespace, client: ApiClient, out: TextIO
) -> tuple[list[dict[str, Any]], Counter, Path | None]:
    """(requests, skipped counts, the default state file's directory or file) of the input."""
    if args.input:
        if args.tickers or args.rules or args.param:
            raise InputError("give either --input or a grid (--tickers/--rules/--param)")
        requests, dropped = read_requests(args.input)
        if dropped:
            print(f"note: ignored the run_id of {dropped} input requests", file=out)
        for item in requests:
            if args.no_charts:
                item["charts"] = False
            if args.no_cache:
                item["cache"] = False
        return requests, Counter(), Path(args.input)
    if not args.tickers or not args.rules:
        raise GridError("give --tickers and --rules (a grid) or --input FILE")
    params = merge_params([parse_param(text) for text in args.param])
    grid = expand_grid(client.rules(), args.tickers, args.rules, params, _grid_base(args))
    return grid.requests, grid.skipped, None


def default_state_path(source: Path | None, keys: list[str]) -> Path:
    """In the user data directory's ``bulk/`` (``data.location.user_path``), never in the
    checkout: ``<input file name>-<hash of its path>.state.jsonl`` for an input file (the
    same file resumes the same journal), ``bulk-<hash of the requests>.state.jsonl`` for a
    grid."""
    if source is not None:
        where = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
        return user_path("bulk", f"{source.name}-{where}.state.jsonl")
    return user_path("bulk", f"bulk-{inputs_key(keys)}.state.jsonl")


def _counts(journal: Journal, keys: list[str]) -> tuple[int, int, int, int]:
    entries = [journal.entries[key] for key in keys if key in journal.entries]
    submitted = sum(entry.submitted for entry in entries)
    finished = sum(entry.finished for entry in entries)
    failed = sum(
        1
        for entry in entries
        if entry.finished and (entry.run or {}).get("status") == RunStatus.FAILED
    )
    rejected = sum(entry.state == "rejected" for entry in entries)
    return submitted, finished, failed, rejected


def show_progress(progress: ProgressBar, journal: Journal, keys: list[str]) -> None:
    """Runs finished of all, with the submitted, failed and rejected counts."""
    submitted, finished, failed, rejected = _counts(journal, keys)
    detail = f"submitted {submitted}/{len(keys)}  failed {failed}  rejected {rejected}"
    progress.update(finished, detail=detail)


def submit_all(
    client: ApiClient,
    journal: Journal,
    requests: dict[str, dict[str, Any]],
    progress: ProgressBar,
) -> Counter:
    """Post every request not yet accepted; returns counts by outcome."""
    outcome: Counter = Counter()
    keys = list(requests)
    for key, request in requests.items():
        entry = journal.entries.get(key)
        if entry is not None and entry.submitted:
            outcome["already"] += 1
            continue
        if entry is None:
            entry = journal.assign(key, str(uuid.uuid4()), request)
        answer = client.submit({**request, "run_id": entry.run_id})
        if answer.kind == "rejected":
            journal.rejected(key, answer.http_status, answer.field, answer.message or "")
        else:
            journal.submitted(key, answer.http_status)
        outcome[answer.kind] += 1
        show_progress(progress, journal, keys)
    return outcome


def poll_finished(client: ApiClient, journal: Journal, keys: list[str]) -> list[str]:
    """Read the submitted, unfinished runs once; record the finished ones.

    :return: run_ids the API does not know (missing).
    """
    waiting = {
        journal.entries[key].run_id: key
        for key in keys
        if key in journal.entries
        and journal.entries[key].submitted
        and not journal.entries[key].finished
    }
    if not waiting:
        return []
    found = client.lookup(list(waiting))
    for run_id, run in found.items():
        if run["status"] in FINISHED_STATUSES:
            journal.finished(waiting[run_id], run)
    return [run_id for run_id in waiting if run_id not in found]


def wait_all(
    client: ApiClient,
    journal: Journal,
    keys: list[str],
    progress: ProgressBar,
    poll: float,
    timeout: float,
) -> bool:
    """Poll until every submitted run finished; False on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        poll_finished(client, journal, keys)
        show_progress(progress, journal, keys)
        entries = [journal.entries[key] for key in keys if key in journal.entries]
        if all(entry.finished for entry in entries if entry.submitted):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def report_rejections(journal: Journal, keys: list[str], out: TextIO) -> int:
    """Print every request refused with 400 (field and message); return how many."""
    rejected = [
        journal.entries[key]
        for key in keys
        if key in journal.entries and journal.entries[key].state == "rejected"
    ]
    if rejected:
        print(f"\n{len(rejected)} requests were refused (HTTP 400):", file=out)
        for entry in rejected:
            request = entry.request
            what = f"{request.get('ticker')} {request.get('rule_type')} {request.get('params')}"
            print(f"  {what}: {entry.field or 'request'}: {entry.message}", file=out)
    return len(rejected)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The whole script for parsed ``args``; returns the exit code."""
    client = ApiClient(args.url, rate=args.rate, retries=args.retries)
    try:
        inputs, skipped, source = load_inputs(args, client, out)
    except (GridError, InputError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    except ApiUnavailable as exc:
        print(f"error: the API is unavailable: {exc}", file=err)
        return EXIT_UNAVAILABLE

    requests: dict[str, dict[str, Any]] = {}
    for item in inputs:
        requests.setdefault(request_key(item), item)
    keys = list(requests)
    duplicates = len(inputs) - len(keys)
    state_path = Path(args.state) if args.state else default_state_path(source, keys)
    journal = Journal.load(state_path)
    already = sum(1 for key in keys if key in journal.entries and journal.entries[key].submitted)

    print(f"{len(keys)} requests ({already} already submitted), state: {state_path}", file=out)
    if duplicates:
        print(f"  {duplicates} duplicate requests in the input were merged", file=out)
    for reason, count in sorted(skipped.items()):
        print(f"  skipped {count}: {reason}", file=out)
    if args.dry_run:
        return EXIT_OK

    progress = ProgressBar(len(keys), "runs finished", err)
    try:
        outcome = submit_all(client, journal, requests, progress)
        timed_out = False
        if args.wait:
            timed_out = not wait_all(client, journal, keys, progress, args.poll, args.timeout)
        elif args.out:
            poll_finished(client, journal, keys)
    except ApiUnavailable as exc:
        progress.close()
        print(f"error: the API is unavailable: {exc}", file=err)
        print(f"re-run the same command to resume (state: {state_path})", file=err)
        return EXIT_UNAVAILABLE
    show_progress(progress, journal, keys)
    progress.close()

    _, finished, failed, rejected = _counts(journal, keys)
    print(
        f"new {outcome['accepted']}, already submitted {outcome['already'] + outcome['duplicate']}"
        f", rejected {rejected}, finished {finished} ({failed} failed)"
        f", skipped {sum(skipped.values())}",
        file=out,
    )
    runs = [journal.entries[key].run for key in keys if key in journal.entries]
    runs = [run for run in runs if run]
    if args.wait and runs:
        print(f"\nbest {min(args.top, len(runs))} by {args.metric}:", file=out)
        print(summary_table(runs, args.metric, args.top), file=out)
    if args.out:
        entries = [journal.entries[key] for key in keys if key in journal.entries]
        write_results_csv(args.out, results_rows(entries))
        print(f"wrote {len(entries)} rows to {args.out}", file=out)
    if report_rejections(journal, keys, out):
        return EXIT_REJECTED
    if timed_out:
        print(f"timed out after {args.timeout:.0f} s; re-run to keep waiting", file=err)
        return EXIT_TIMEOUT
    return EXIT_OK


SHARED_OPTIONS = ("--url",)
"""Options of every bulk command, accepted before the ``sweep`` subcommand as well as after
it (``--url X sweep …`` and ``sweep --url X …`` are the same command)."""


SUBCOMMANDS = (
    "sweep",
    "walkforward",
    "portfolio",
    "portfolio_sweep",
    "portfolio_walkforward",
    "kind",
)
"""The subcommands ``split_subcommand`` recognises: each is the command
``scripts.bulk_<subcommand>``, whose ``main`` takes the arguments."""


def split_subcommand(argv: list[str]) -> tuple[str | None, list[str]]:
    """(``"sweep"``, ``"walkforward"``, ``"portfolio"``, ``"portfolio_sweep"``,
    ``"portfolio_walkforward"``, ``"kind"``
    (any kind, by its resource) or None, the arguments for that command): shared
    options given before the subcommand are handed to it."""
    shared: list[str] = []
    rest = list(argv)
    while rest and rest[0].split("=", 1)[0] in SHARED_OPTIONS:
        if "=" in rest[0]:
            shared.append(rest.pop(0))
        else:
            shared.extend(rest[:2])
            rest = rest[2:]
    if rest[:1] and rest[0] in SUBCOMMANDS:
        return rest[0], [*shared, *rest[1:]]
    return None, list(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command, argv = split_subcommand(argv)
    if command is not None:  # `python -m scripts.bulk_submit [--url U] <command> …`
        return import_module(f"scripts.bulk_{command}").main(argv)
    args = build_parser().parse_args(argv)
    if args.rate <= 0 or args.poll <= 0 or args.top <= 0 or args.retries < 0:
        print(
            "error: --rate, --poll and --top must be greater than 0 and --retries at least 0",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return run(args, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
