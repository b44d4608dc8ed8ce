"""Logging for every process: one line per event on stderr, each carrying the run_id.

``configure_logging()`` is called once by each entry point (web, consumer, reaper,
scaler). ``run_context(run_id)`` binds a run id for the code inside it, so every log line
written there — ours or a library's — says which run it is about. LOG_FORMAT=json writes each
line as one JSON object (``time``, ``level``, ``logger``, ``run_id``, ``message``, and ``exc_info``
with the traceback) for log pipelines that index fields; the default, text, is LOG_FORMAT below.
Both come from the standard library only (the consumer Job's cost is benchmarked).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator

from config import process

_RUN_ID: contextvars.ContextVar[str] = contextvars.ContextVar("run_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s run_id=%(run_id)s %(message)s"

LOG_FORMATS = ("text", "json")
"""The values of LOG_FORMAT: ``text`` (LOG_FORMAT above, the default) or ``json``."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, run_id, message and,
    for an exception, exc_info (the formatted traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "run_id": getattr(record, "run_id", _RUN_ID.get()),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """UTC, with milliseconds: ``2026-11-23T08:30:00.123Z``."""
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{seconds}.{int(record.msecs):03d}Z"


def _formatter(log_format: str | None) -> logging.Formatter:
    chosen = (log_format or process.LOG_FORMAT.value()).lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {chosen!r}")
    return JsonFormatter() if chosen == "json" else logging.Formatter(LOG_FORMAT)


class _RunIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "run_id"):
            record.run_id = _RUN_ID.get()
        return True


def configure_logging(level: str | None = None, log_format: str | None = None) -> None:
    """Send all logs to stderr at LOG_LEVEL (default INFO), as text or JSON lines (LOG_FORMAT,
    default text; ``ValueError`` for another value). Idempotent."""
    root = logging.getLogger()
    if any(getattr(h, "_backtest", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._backtest = True  # type: ignore[attr-defined]
    handler.setFormatter(_formatter(log_format))
    handler.addFilter(_RunIdFilter())
    root.addHandler(handler)
    root.setLevel((level or process.LOG_LEVEL.value()).upper())


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
