"""``python -m consumer``: take at most one run from the queue, record it, exit.

``python -m consumer --request FILE`` executes a request file instead (no Redis, no
database) and prints the result JSON. Heavy modules are imported only by the mode that
needs them: start-up time is part of every run.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m consumer", description=__doc__)
    parser.add_argument(
        "--request",
        metavar="FILE",
        help="execute this request JSON file ('-' for stdin) and print the result",
    )
    args = parser.parse_args(argv)

    from work.logs import configure_logging

    configure_logging()
    if args.request is not None:
        from consumer.oneshot import run_request_file

        return run_request_file(args.request)
    from consumer.idle import nothing_queued

    if nothing_queued():  # before the worker's imports: an over-started Job costs ~nothing
        return 0
    from consumer.worker import consume_one

    return consume_one()


if __name__ == "__main__":
    sys.exit(main())
