"""What a sandboxed run gives back: a value, or a failure a user can read.

``Failure.kind`` says whose it is: ``exception`` (the user's code raised; ``traceback``
holds their frames only), ``syntax`` (``line`` and ``column``), ``limit`` (``limit`` names
which: memory, cpu, wall, output, open_files, disk, and combination_cpu: one combination
of a sweep chunk past its own CPU budget), ``protocol`` (the child sent what the
parent does not accept; it was stopped), ``exit`` (the child ended or died before
answering), ``sandbox`` (the sandbox could not confine the child and refused to run it) and
``decision`` (the parent refused what a strategy decided: its message names the field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FailureKind = Literal["exception", "syntax", "limit", "protocol", "exit", "sandbox", "decision"]
LimitName = Literal["memory", "cpu", "wall", "output", "open_files", "disk", "combination_cpu"]
LIMIT_NAMES: tuple[str, ...] = (
    "memory",
    "cpu",
    "wall",
    "output",
    "open_files",
    "disk",
    "combination_cpu",
)

SUCCEEDED, FAILED = "SUCCEEDED", "FAILED"


@dataclass(frozen=True)
class Failure:
    """Why a sandboxed run failed, in words for its user."""

    kind: FailureKind
    message: str
    limit: LimitName | None = None
    traceback: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Outcome:
    """A sandboxed run's end: SUCCEEDED with ``value`` (checked JSON), or FAILED with
    ``failure``; ``output`` is what the code printed (the first ``Limits.output_bytes``)."""

    status: Literal["SUCCEEDED", "FAILED"]
    value: Any = None
    failure: Failure | None = None
    output: str = ""


class SandboxFailed(Exception):
    """A call into the sandbox failed; ``failure`` says why."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure
