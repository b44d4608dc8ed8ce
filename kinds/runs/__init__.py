"""Runs: the request/result contract shared by web and consumer, and the one execution path.

Its own package because both web/ and consumer/ depend on it and neither may import the
other: the web validates requests with it, the consumer executes them with it.
"""

from kinds.runs.contract import (
    REQUEST_FIELDS,
    RESULT_FIELDS,
    RequestError,
    RunRequest,
    RunResult,
    new_run_id,
    parse_request,
)

__all__ = [
    "REQUEST_FIELDS",
    "RESULT_FIELDS",
    "RequestError",
    "RunRequest",
    "RunResult",
    "new_run_id",
    "parse_request",
]
