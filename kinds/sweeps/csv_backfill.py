"""Write the CSV parts that finished chunks lack (``kinds.sweeps.csv_parts``), in a process of
its own, so a sweep stored before its chunks kept their CSV downloads again
(docs/sweeps.md, "CSV"):

    python -m kinds.sweeps.csv_backfill SWEEP_ID [SWEEP_ID …]

on DATABASE_URL. A sweep stored compactly has each such chunk evaluated again from its
stored message (what the web never does: about the CPU the chunk took); one stored row by
row has its parts written from its rows (the web also does that at its first download).
Each part is committed as soon as it is written: a pass stopped half way resumes where it
stopped. Exit 0 when every sweep named exists, 1 otherwise.
"""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy.orm import Session

from kinds.sweeps.csv_parts import csv_state, evaluated_rows, stored_rows, write_parts
from store.models import Sweep
from work.logs import configure_logging

logger = logging.getLogger("kinds.sweeps.csv_backfill")


def backfill(session: Session, sweep: Sweep) -> int:
    """Write every CSV part the sweep's finished chunks lack; how many were written."""
    state = csv_state(session, sweep)
    rows = stored_rows if sweep.top_k is None else evaluated_rows
    return write_parts(session, sweep, state, rows)


def main(argv: list[str] | None = None) -> int:
    """The command line (the module's docstring)."""
    from store.db import process_sessionmaker

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweep_ids", nargs="+", metavar="SWEEP_ID")
    args = parser.parse_args(argv)
    configure_logging()
    missing = 0
    with process_sessionmaker()() as session:
        for sweep_id in args.sweep_ids:
            sweep = session.get(Sweep, sweep_id)
            if sweep is None:
                logger.error("sweep %s: not found", sweep_id)
                missing += 1
                continue
            logger.info("sweep %s: %d CSV parts written", sweep_id, backfill(session, sweep))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
