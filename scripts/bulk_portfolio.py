"""Submit portfolio requests from the command line, wait for each and print its metrics
against the equal-weight benchmark (docs/bulk.md, docs/portfolios.md).

    python -m scripts.bulk_portfolio portfolio.json [more.json …] [--url URL] \\
        [--timeout 3600] [--poll 1] [--no-wait]

Each file holds one portfolio request (the body of ``POST /api/portfolios``) or a list of
them. It is also ``python -m scripts.bulk_submit [--url URL] portfolio …``. The exit codes
are every bulk command's (``scripts.bulk_client``): 0 all SUCCEEDED, 1 one was refused by
the API (its message names the field) or FAILED, 2 bad options or a file that is not a
request, 3 the API could not be reached, 4 the wait timed out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

from backtest_client import Client
from backtest_client.polling import Handle
from backtest_client.portfolios import FINISHED, Portfolio
from scripts.bulk_client import EXIT_OK, EXIT_USAGE, command_parser
from scripts.bulk_sweep import ended, right_aligned, run_command, wait_with_bar

H = TypeVar("H", bound=Handle)

SHOWN = ("total_return_pct", "cagr_pct", "sharpe_ratio", "max_drawdown_pct", "num_orders")
"""The metrics printed for the portfolio and (but ``num_orders``) its benchmark."""


def add_file_options(parser: argparse.ArgumentParser, files: str) -> None:
    """The request files (``files`` their help) and the wait options of a command that
    submits requests from JSON files."""
    parser.add_argument("files", nargs="+", type=Path, help=files)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--no-wait", action="store_true", help="submit and exit")


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("python -m scripts.bulk_portfolio", __doc__)
    add_file_options(parser, "JSON portfolio request(s)")
    return parser


def requests_of(files: list[Path], what: str = "portfolio request") -> list[dict[str, Any]]:
    """Every request the files hold, in order (``what`` they hold, in an error).

    :raise ValueError: a file is not JSON, or holds something else than a request object
        or a list of them.
    """
    found: list[dict[str, Any]] = []
    for path in files:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        items = loaded if isinstance(loaded, list) else [loaded]
        if not items or not all(isinstance(item, dict) for item in items):
            raise ValueError(f"{path}: expected a {what} object or a list of them")
        found.extend(items)
    return found


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def metrics_table(result: dict[str, Any]) -> str:
    """Two rows, the portfolio and its benchmark, one column per ``SHOWN`` metric."""
    ours, theirs = result["metrics"], result["benchmark"]["metrics"]
    rows = [
        ["portfolio", *(_cell(ours.get(m)) for m in SHOWN)],
        ["benchmark", *(_cell(theirs.get(m)) for m in SHOWN)],
    ]
    return right_aligned(["", *SHOWN], rows)


def wait_for(
    handle: Handle, finished: Collection[str], args: argparse.Namespace, out: TextIO
) -> dict[str, Any] | None:
    """Wait for one submitted thing on the progress bar until its status is in ``finished``:
    its last status document, or None when the wait timed out (where it goes on said)."""
    goes_on = f"it goes on: {handle.status_url}"

    def counts(status: dict[str, Any]) -> tuple[int, int, str]:
        return int(status["status"] in finished), 1, status["status"]

    return wait_with_bar(handle.refresh, counts, finished, args, out, goes_on)


def _follow(handle: Portfolio, args: argparse.Namespace, out: TextIO) -> int:
    status = wait_for(handle, FINISHED, args, out)
    return ended(status, out, lambda _: metrics_table(handle.result), error="error")


def by_position(method: Callable[..., H], named: Sequence[str], body: dict[str, Any]) -> H:
    """``method`` (a ``Client`` method submitting a search over a portfolio) called with
    ``body``'s ``named`` fields in that order (None where absent) and its other fields but
    ``kind`` by name."""
    rest = {name: value for name, value in body.items() if name not in ("kind", *named)}
    return method(*(body.get(name) for name in named), **rest)


def submit_each(
    args: argparse.Namespace,
    what: str,
    submit: Callable[[Client, dict[str, Any]], H],
    announce: Callable[[H, dict[str, Any]], str],
    follow: Callable[[H, argparse.Namespace, TextIO], int],
    out: TextIO | None,
) -> int:
    """Every request the files of ``args.files`` hold (``what`` they hold, in an error):
    ``submit`` it, print ``announce`` of what was accepted and ``follow`` it
    (``scripts.bulk_sweep.run_command``); the worst exit code."""
    try:
        bodies = requests_of(args.files, what)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    worst = EXIT_OK
    for body in bodies:
        code = run_command(
            lambda client, _args, body=body: submit(client, body),
            lambda handle, body=body: announce(handle, body),
            follow,
            args,
            out,
        )
        worst = max(worst, code)
    return worst


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Submit each request, wait for it, print its metrics; the worst exit code."""
    return submit_each(
        build_parser().parse_args(argv),
        "portfolio request",
        lambda client, body: client.portfolio(**body),
        lambda handle, body: (
            f"portfolio {handle.portfolio_id}: {len(body.get('tickers', []))} tickers"
        ),
        _follow,
        out,
    )


if __name__ == "__main__":
    sys.exit(main())
