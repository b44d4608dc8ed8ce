"""``python -m consumer --request FILE``: execute one request exactly as a Job does, with no
Redis and no database, and print the result JSON on stdout.

Exit 0 on success; exit 2 with a one-line reason on stderr for a bad request (invalid JSON,
a field that fails validation, a ticker or date range the data cannot serve).
"""

from __future__ import annotations

import json
import logging
import sys
import time

from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute
from kinds.runs.serialize import to_json
from work.logs import run_context

logger = logging.getLogger("consumer.oneshot")


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def run_request_file(path: str) -> int:
    """Execute the request in ``path`` ("-" = stdin); return the process exit code."""
    try:
        payload = json.loads(_read(path))
    except OSError as exc:
        print(f"bad request: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"bad request: not valid JSON: {exc}", file=sys.stderr)
        return 2
    try:
        request = parse_request(payload)
        with run_context(request.run_id):
            started = time.perf_counter()
            result = execute(request)
            logger.info("executed in %.1f ms", (time.perf_counter() - started) * 1000)
    except RequestError as exc:
        print(f"bad request: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    sys.stdout.write(to_json(result))
    sys.stdout.write("\n")
    return 0
