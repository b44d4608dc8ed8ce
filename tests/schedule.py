"""The order in which pytest-xdist's workers take the test files: the slowest first.

``scripts/test.sh`` runs each file whole on one worker (``--dist loadfile``) in collection
order (``--no-loadscope-reorder``; xdist would otherwise sort the files by their number of
tests, which put the image build of ``tests/deploy/test_deploy_container.py``, six tests and
the longest file, near the end). A long file taken last leaves the other workers idle while
it runs, so the files measured slowest go first (longest processing time first), the rest
after them in their usual order. The order of tests within a file never changes. One file
is placed later than its time: the compose file uses the image the container file builds,
and waits for that build when it starts first (one build a run, ``tests/deploy/conftest.py``).

``SLOWEST_FILES`` is a measurement, not a contract: a file missing from it only starts later.
Refresh it from a full run's ``--junitxml`` (the summed ``time`` of each file's tests).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SLOWEST_FILES = (
    # seconds of one full two-worker run from a fresh clone on the shared 2-core machine
    # (load 3-14; podman, its base image and the compose stand-ins made for the first time):
    "tests/deploy/test_deploy_container.py",  # 512
    "tests/sweeps/test_sweep_eval.py",  # 94
    "tests/engine/test_engine_broker_differential.py",  # 65
    # 48 alone (-n 0, load 8), 232 before its kill tests' heartbeat margin was cut to 5 s
    "tests/consumer/test_consumer_worker.py",
    "tests/web/test_web_main.py",  # 60 (here since the token CLI file, 68, runs mostly in-process)
    "tests/bulk/test_bulk_submit.py",  # 53
    "tests/runs/test_runs_scaling.py",  # 49
    # after ~390 s of other files, so the container file has built the image by then (it waits
    # for that build otherwise: tests/deploy/conftest.py)
    "tests/deploy/test_deploy_compose_podman.py",  # 167
    "tests/engine/test_portfolio_parity.py",  # 49
    "tests/web/test_web_fuzz.py",  # 48
    "tests/engine/test_engine_events_parity.py",  # 47
    "tests/engine/test_engine_broker_step.py",  # 46
    "tests/web/test_browser_dashboard.py",  # 46
    "tests/work/test_toy_kind.py",  # 67 before its kill test's heartbeat margin: ~41
    "tests/web/test_browser_portfolios.py",  # 40
    "tests/portfolios/test_portfolio_memory.py",  # 40
    "tests/engine/test_portfolio_long_short.py",  # 39
    "tests/web/test_browser_studies.py",  # 38
    "tests/engine/test_portfolio_signals_parity.py",  # 38
    "tests/deploy/test_deploy_slow_clients.py",  # 36
    "tests/deploy/test_deploy_local_stack.py",  # 36
    "tests/web/test_browser_candles.py",  # 35
    "tests/walkforward/test_walkforward_e2e.py",  # 35
    "tests/docs/test_doc_examples.py",  # 32
    "tests/consumer/test_lifecycle_e2e.py",  # 32
    "tests/web/test_web_health.py",  # 31
    "tests/web/test_web_runs.py",  # 29
    "tests/sweeps/test_sweep_browser.py",  # 27
    "tests/studies/test_study_concurrency.py",  # 26
    "tests/engine/test_engine_compiled.py",  # 26
    "tests/web/test_web_run_cache.py",  # 26
    "tests/engine/test_engine_scaling.py",  # 25
    "tests/sweeps/test_sweep_compact.py",  # 24
    "tests/adapters/test_adapters_tearsheet_parity.py",  # 24
    "tests/web/test_browser_expr.py",  # 23
    "tests/web/test_browser_run_page.py",  # 23
    "tests/store/test_migrations.py",  # 22
    "tests/web/test_web_schema.py",  # 21
    "tests/engine/test_portfolio_risk.py",  # 21
    "tests/sweeps/test_sweep_portfolio.py",  # 20
    "tests/studies/test_study_web.py",  # 20
    "tests/runs/test_runs_long.py",  # 19
    "tests/web/test_intraday_e2e.py",  # 19
    "tests/sweeps/test_sweep_jobs.py",  # 19
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
