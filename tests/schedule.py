"""The order in which pytest-xdist's workers take the test files: the slowest first.

``scripts/test.sh`` runs each file whole on one worker (``--dist loadfile``) in collection
order (``--no-loadscope-reorder``; xdist would otherwise sort the files by their number of
tests, which put the image build of ``tests/deploy/test_deploy_container.py``, six tests and
the longest file, near the end). A long file taken last leaves the other workers idle while
it runs, so the files measured slowest go first (longest processing time first), the rest
after them in their usual order. The order of tests within a file never changes.

``SLOWEST_FILES`` is a measurement, not a contract: a file missing from it only starts later.
Refresh it from a full run's ``--junitxml`` (the summed ``time`` of each file's tests).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SLOWEST_FILES = (
    # seconds of one full two-worker run on the shared 2-core machine (load 5-6):
    "tests/deploy/test_deploy_container.py",  # 597 (the image build is most of it)
    "tests/engine/test_portfolio_parity.py",  # 262
    "tests/consumer/test_consumer_worker.py",  # 228
    "tests/web/test_web_tokens.py",  # 181
    "tests/sweeps/test_sweep_eval.py",  # 169
    "tests/deploy/test_deploy_compose_podman.py",  # 148
    "tests/engine/test_engine_broker_differential.py",  # 98
    "tests/studies/test_study_concurrency.py",  # 97
    "tests/web/test_web_main.py",  # 96
    "tests/bulk/test_bulk_submit.py",  # 93
    "tests/engine/test_portfolio_risk.py",  # 89
    "tests/bench/test_broker_bench.py",  # 85
    "tests/engine/test_engine_orders.py",  # 80
    "tests/engine/test_engine_events_parity.py",  # 78
    "tests/engine/test_engine_compiled.py",  # 71
    "tests/walkforward/test_walkforward_e2e.py",  # 68
    "tests/work/test_toy_kind.py",  # 67
    "tests/web/test_browser_candles.py",  # 66
    "tests/sweeps/test_sweep_portfolio.py",  # 64
    "tests/deploy/test_deploy_local_stack.py",  # 58
    "tests/adapters/test_adapters_tearsheet_parity.py",  # 57
    "tests/deploy/test_deploy_slow_clients.py",  # 53
    "tests/portfolios/test_portfolio_memory.py",  # 51
    "tests/engine/test_portfolio_covariance.py",  # 50
    "tests/web/test_web_health.py",  # 48
    "tests/engine/test_portfolio_long_short.py",  # 47
    "tests/web/test_web_run_cache.py",  # 42
    "tests/engine/test_engine_exit_priority.py",  # 41
    "tests/web/test_intraday_e2e.py",  # 37
    "tests/runs/test_runs_long.py",  # 36
    "tests/docs/test_doc_examples.py",  # 36
    "tests/consumer/test_lifecycle_e2e.py",  # 35
)
"""The slowest test files, slowest first (paths from the repository root)."""


def slowest_first(items: list[pytest.Item], root: Path) -> None:
    """Reorder ``items`` in place: the files of ``SLOWEST_FILES`` first, in its order, then
    every other file in collection order; each file's tests keep their order."""
    rank = {path: index for index, path in enumerate(SLOWEST_FILES)}

    def key(item: pytest.Item) -> int:
        try:
            path = item.path.relative_to(root).as_posix()
        except ValueError:
            return len(rank)
        return rank.get(path, len(rank))

    items.sort(key=key)  # stable: the rest, and the tests of each file, keep their order
