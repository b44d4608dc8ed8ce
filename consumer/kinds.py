"""The registry of queued work kinds: the ONLY module that names a concrete kind.

The consumer (its failure recorder, its quarantine check), the reaper and the local scaler
look kinds up here; adding a kind is one entry in ``JOB_FUNCTIONS`` (docs/work-kinds.md).

A Job loads only the kind of the message it takes: ``kind_of`` imports the one kind module
its job function names (a run's Job never imports the sweep evaluation stack, and the
reverse). ``KINDS`` (every kind, for the reaper) is loaded on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from work.kind import WorkKind

JOB_FUNCTIONS: dict[str, str] = {
    "consumer.jobs.run_backtest": "kinds.runs.kind:RUN",
    "consumer.sweep_jobs.run_chunk": "kinds.sweeps.kind:CHUNK",
    "kinds.walkforward.kind.run_fold": "kinds.walkforward.kind:FOLD",
}
"""Every dotted job function a queued message may name (aliases included) → the
``module:attribute`` of its ``WorkKind``, in the order the reaper reconciles the kinds. A
test checks it against each kind's own ``functions``."""


def _load(path: str) -> WorkKind:
    module, attribute = path.split(":")
    return getattr(import_module(module), attribute)


def kind_of(function: str | None) -> WorkKind | None:
    """The kind whose job function (or an alias) is ``function``, or None; imports that
    kind's module only."""
    path = JOB_FUNCTIONS.get(function or "")
    return None if path is None else _load(path)


def all_kinds() -> tuple[WorkKind, ...]:
    """Every kind of queued work, each once, in the order the reaper reconciles them."""
    return tuple(_load(path) for path in dict.fromkeys(JOB_FUNCTIONS.values()))


def __getattr__(name: str):
    """``KINDS``: ``all_kinds()``, loaded on first use (module attribute, PEP 562)."""
    if name == "KINDS":
        return all_kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
