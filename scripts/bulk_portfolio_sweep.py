"""Submit sweeps over a portfolio from JSON files, wait for each with a progress bar and print
its top points (docs/bulk.md, docs/sweeps.md "Sweeping a portfolio").

    python -m scripts.bulk_portfolio_sweep sweep.json [more.json …] [--url URL] \\
        [--metric sharpe_ratio] [--top 10] [--timeout 3600] [--poll 1] [--no-wait]

Each file holds one sweep request over a portfolio (the body of ``POST /api/sweeps`` with
``kind: "portfolio"``, ``base``, ``grid`` and optionally ``random``, ``chunk_size``,
``cscv_blocks``) or a list of them. It is also ``python -m scripts.bulk_submit [--url URL]
portfolio_sweep …``. The exit codes are every bulk command's (``scripts.bulk_client``): 0
all SUCCEEDED, 1 one was refused by the API (its message names the field) or ended FAILED or
PARTIAL, 2 bad options or a file that is not a request, 3 the API could not be reached, 4
the wait timed out.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from metrics import SWEEP_METRIC_KEYS
from scripts.bulk_portfolio_search import search_parser, submit_searches


def build_parser() -> argparse.ArgumentParser:
    parser = search_parser("sweep", __doc__)
    parser.add_argument("--metric", default="sharpe_ratio", choices=SWEEP_METRIC_KEYS)
    parser.add_argument("--top", type=int, default=10, help="rows of each final table")
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Submit each sweep, wait for it, print its top points; the worst exit code."""
    return submit_searches("sweep", build_parser().parse_args(argv), out)


if __name__ == "__main__":
    sys.exit(main())
