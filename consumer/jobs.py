"""``consumer.jobs.run_backtest``: the dotted name every queued run calls (``kinds.runs.kind``).

Queued messages name their function, so this path stays importable for as long as runs
may be queued under it; the run kind itself lives in ``kinds.runs.kind`` and its lifecycle in
``work.lifecycle``.
"""

from __future__ import annotations

from kinds.runs.kind import max_result_bytes, run_backtest
from work.lifecycle import INTERNAL_ERROR, worker_name

__all__ = ["INTERNAL_ERROR", "max_result_bytes", "run_backtest", "worker_name"]
