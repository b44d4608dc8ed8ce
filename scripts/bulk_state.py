"""The resumable state of a bulk submission: an append-only JSON-lines journal mapping each
input request (by its canonical hash) to the run_id chosen for it and what became of it.

Events, one JSON object a line: ``assigned`` (key, run_id, request) is written and flushed
to disk BEFORE the request is posted, so a crash between the two can never lead to a second
run: the next attempt posts the same run_id again and a 409 means it was already accepted.
Then ``submitted`` (202 or 409), ``rejected`` (400: field, message) and ``finished``
(status, metrics, error_message). Replaying the lines gives the latest state of each key;
a last line cut short by a crash is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ASSIGNED = "assigned"
SUBMITTED = "submitted"
REJECTED = "rejected"
FINISHED = "finished"


def request_key(request: dict[str, Any]) -> str:
    """The canonical hash of a request: SHA-256 of its sorted, compact JSON (run_id left out).

    The same request always gets the same key, whatever the order of its fields.
    """
    body = {name: value for name, value in request.items() if name != "run_id"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def inputs_key(keys: list[str]) -> str:
    """A short hash of a whole input (its request keys, order ignored) for file names."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:12]


@dataclass
class Entry:
    """What is known about one input request."""

    key: str
    run_id: str
    request: dict[str, Any]
    state: str = ASSIGNED
    http_status: int | None = None
    field: str | None = None
    message: str | None = None
    run: dict[str, Any] | None = None
    """The run's summary once it finished (status, metrics, error_message...)."""

    @property
    def submitted(self) -> bool:
        return self.state in (SUBMITTED, FINISHED)

    @property
    def finished(self) -> bool:
        return self.state == FINISHED


@dataclass
class Journal:
    """The state file: entries by key, and the open file new events are appended to."""

    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Journal:
        """Replay the journal at ``path`` (a missing file is an empty journal)."""
        journal = cls(Path(path))
        if journal.path.exists():
            lines = journal.path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    if number == len(lines):
                        break  # cut short by a crash while writing it
                    raise ValueError(f"{path}: line {number} is not JSON") from None
                journal._apply(event)
        return journal

    def _apply(self, event: dict[str, Any]) -> None:
        kind, key = event["event"], event["key"]
        if kind == ASSIGNED:
            self.entries[key] = Entry(key, event["run_id"], event.get("request") or {})
            return
        entry = self.entries[key]
        if kind == SUBMITTED:
            entry.state, entry.http_status = SUBMITTED, event.get("http_status")
            entry.field = entry.message = None
        elif kind == REJECTED:
            entry.state, entry.http_status = REJECTED, event.get("http_status")
            entry.field, entry.message = event.get("field"), event.get("message")
        elif kind == FINISHED:
            entry.state, entry.run = FINISHED, event.get("run")

    def record(self, event: dict[str, Any]) -> None:
        """Apply ``event`` and append it to the file, flushed and fsynced before returning."""
        self._apply(event)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(event, separators=(",", ":"), allow_nan=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def assign(self, key: str, run_id: str, request: dict[str, Any]) -> Entry:
        """Record the run_id chosen for a request (before posting it)."""
        self.record({"event": ASSIGNED, "key": key, "run_id": run_id, "request": request})
        return self.entries[key]

    def submitted(self, key: str, http_status: int) -> None:
        """The API accepted the run (202) or already had it (409)."""
        self.record({"event": SUBMITTED, "key": key, "http_status": http_status})

    def rejected(self, key: str, http_status: int, field: str | None, message: str) -> None:
        """The API refused the request (400)."""
        self.record(
            {
                "event": REJECTED,
                "key": key,
                "http_status": http_status,
                "field": field,
                "message": message,
            }
        )

    def finished(self, key: str, run: dict[str, Any]) -> None:
        """The run reached SUCCEEDED or FAILED; ``run`` is its summary from the API."""
        self.record({"event": FINISHED, "key": key, "run": run})
