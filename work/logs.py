"""Logging for every process: one line per event on stderr, each carrying the run_id.

``configure_logging()`` is called once by each entry point (web, consumer, reaper,
scaler). ``run_context(run_id)`` binds a run id for the code inside it, so every log line
written there — ours or a library's — says which run it is about.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import sys
from collections.abc import Iterator

_RUN_ID: contextvars.ContextVar[str] = contextvars.ContextVar("run_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s run_id=%(run_id)s %(message)s"


class _RunIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "run_id"):
            record.run_id = _RUN_ID.get()
        return True


def configure_logging(level: str | None = None) -> None:
    """Send all logs to stderr in LOG_FORMAT at LOG_LEVEL (default INFO). Idempotent."""
    root = logging.getLogger()
    if any(getattr(h, "_backtest", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._backtest = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(_RunIdFilter())
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())


@contextlib.contextmanager
def run_context(run_id: str) -> Iterator[None]:
    """Tag every log line written inside the block with ``run_id``."""
    token = _RUN_ID.set(run_id)
    try:
        yield
    finally:
        _RUN_ID.reset(token)


def current_run_id() -> str:
    """The run id bound by the innermost ``run_context`` ("-" outside any)."""
    return _RUN_ID.get()
