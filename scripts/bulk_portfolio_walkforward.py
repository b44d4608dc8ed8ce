"""Submit walk-forwards over a portfolio from JSON files, wait for each with a progress bar
and print its fold table and out-of-sample metrics (docs/bulk.md, docs/walkforward.md
"Walking a portfolio forward").

    python -m scripts.bulk_portfolio_walkforward walk.json [more.json …] [--url URL] \\
        [--timeout 3600] [--poll 1] [--no-wait]

Each file holds one walk-forward request over a portfolio (the body of ``POST
/api/walkforward`` with ``kind: "portfolio"``, ``base``, ``grid``, ``train_bars``,
``test_bars`` and optionally ``random``, ``step_bars``, ``anchored``, ``metric``,
``min_trades``, ``chunk_size``) or a list of them. It is also ``python -m
scripts.bulk_submit [--url URL] portfolio_walkforward …``. The exit codes are every bulk
command's (``scripts.bulk_client``): 0 all SUCCEEDED, 1 one was refused by the API (its
message names the field) or ended FAILED, 2 bad options or a file that is not a request, 3
the API could not be reached, 4 the wait timed out.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from scripts.bulk_portfolio_search import search_parser, submit_searches


def build_parser() -> argparse.ArgumentParser:
    return search_parser("walkforward", __doc__)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Submit each walk-forward, wait for it, print its folds; the worst exit code."""
    return submit_searches("walkforward", build_parser().parse_args(argv), out)


if __name__ == "__main__":
    sys.exit(main())
