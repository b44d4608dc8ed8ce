"""Submit requests of any kind of work by its resource name, wait for each and print its
status document (docs/bulk.md): what a kind with no command of its own is submitted with.

    python -m scripts.bulk_kind RESOURCE request.json [more.json …] [--url URL] \\
        [--timeout 3600] [--poll 1] [--no-wait]

``RESOURCE`` is one of ``GET /api/kinds``' resources (``toys``, ``portfolios``…); each file
holds one request (the body of ``POST /api/<resource>``) or a list of them. It is also
``python -m scripts.bulk_submit [--url URL] kind RESOURCE …``. The exit codes are every
bulk command's (``scripts.bulk_client``): 0 all SUCCEEDED, 1 one was refused by the API (its
message names the field) or did not succeed, 2 bad options or a file that is not a request,
3 the API could not be reached, 4 the wait timed out.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from backtest_client.items import FINISHED, Item
from scripts.bulk_client import EXIT_OK, EXIT_REJECTED, EXIT_TIMEOUT, command_parser
from scripts.bulk_portfolio import add_file_options, submit_each, wait_for


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser("python -m scripts.bulk_kind", __doc__)
    parser.add_argument("resource", help="the kind's resource (GET /api/kinds)")
    add_file_options(parser, "JSON request(s)")
    return parser


def _follow(handle: Item, args: argparse.Namespace, out: TextIO) -> int:
    status = wait_for(handle, FINISHED, args, out)
    if status is None:
        return EXIT_TIMEOUT
    shown = {name: value for name, value in status.items() if name != "request"}
    print(json.dumps(shown), file=out)
    return EXIT_OK if status["status"] == "SUCCEEDED" else EXIT_REJECTED


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Submit each request to ``/api/<resource>``, wait for it, print its status; the
    worst exit code."""
    args = build_parser().parse_args(argv)
    return submit_each(
        args,
        "request",
        lambda client, body: client.submit_item(args.resource, body),
        lambda handle, _body: f"{handle.resource} {handle.item_id}: submitted",
        _follow,
        out,
    )


if __name__ == "__main__":
    sys.exit(main())
