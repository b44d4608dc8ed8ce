"""The registry of queued work kinds: the ONLY module that names a concrete kind.

The consumer (its failure recorder), the reaper and the local scaler iterate ``KINDS``;
adding a kind is one line here (docs/work-kinds.md).
"""

from __future__ import annotations

from runs.kind import RUN
from sweeps.kind import CHUNK
from work.kind import WorkKind, functions_of

KINDS: tuple[WorkKind, ...] = (RUN, CHUNK)
"""Every kind of queued work, in the order the reaper reconciles them."""

_BY_FUNCTION = functions_of(KINDS)


def kind_of(function: str | None) -> WorkKind | None:
    """The kind whose job function (or an alias) is ``function``, or None."""
    return _BY_FUNCTION.get(function or "")
