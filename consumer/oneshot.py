"""``python -m consumer --request FILE``: execute one request exactly as a Job does, with no
Redis and no database, and print the result JSON on stdout. The request is a message of the
first registered kind that can run locally (``WorkKind.run_locally``: a run request).

Exit 0 on success; exit 2 with a one-line reason on stderr for a bad request (invalid JSON,
a field that fails validation, a ticker or date range the data cannot serve).
"""

from __future__ import annotations

import json
import sys

from kinds.registry import kinds_in_order
from work.errors import RequestError


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
    run_locally = next(kind.run_locally for kind in kinds_in_order() if kind.run_locally)
    try:
        result_json = run_locally(payload)
    except RequestError as exc:
        print(f"bad request: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    sys.stdout.write(result_json)
    sys.stdout.write("\n")
    return 0
