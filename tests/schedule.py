"""The order in which pytest-xdist's workers take the test files: the slowest first.

``scripts/test.sh`` runs each file whole on one worker (``--dist loadfile``) in collection
order (``--no-loadscope-reorder``; xdist would otherwise sort the files by their number of
tests, which put the image build of ``tests/deploy/test_deploy_container.py``, six tests and
the longest file, near the end). A long file taken last leaves the other workers idle while
it runs, so the files measured slowest go first (longest processing time first), the rest
after them in their usual order. The order of tests within a file never changes. The files
that use the app image wait for ``scripts/test.sh``'s background build of it first
(``tests/deploy/conftest.py``), which has mostly ended before the tests start on a machine that
kept podman's layers.

``SLOWEST_FILES`` is a measurement, not a contract: a file missing from it only starts later.
Refresh it from a full run: the wall of each file from its first test's setup to its last
test's teardown on its worker (or a ``--junitxml``'s summed ``time`` of each file's tests).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SLOWEST_FILES = (
    # seconds of wall (setup and teardown included) of one full run from a fresh clone, four
    # workers on the shared 2-core machine at load 10-14, the app image built ahead in the
    # background (scripts/test.sh): a file's wall there is mostly its share of the cores
    "tests/deploy/test_deploy_container.py",  # 358
    "tests/deploy/test_deploy_compose_podman.py",  # 181
    "tests/engine/test_portfolio_risk.py",  # 164
    "tests/studies/test_study_concurrency.py",  # 150
    "tests/engine/test_engine_broker_differential.py",  # 147
    "tests/walkforward/test_walkforward_e2e.py",  # 139
    "tests/engine/test_portfolio_long_short.py",  # 133
    "tests/engine/test_engine_events_parity.py",  # 130
    "tests/web/test_web_main.py",  # 123
    "tests/bench/test_broker_bench.py",  # 121
    "tests/web/test_web_run_cache.py",  # 102
    "tests/engine/test_engine_compiled.py",  # 98
    "tests/engine/test_portfolio_parity.py",  # 96
    "tests/engine/test_portfolio_signals_parity.py",  # 96
    "tests/docs/test_doc_examples.py",  # 93
    "tests/runs/test_runs_long.py",  # 88
    "tests/adapters/test_adapters_json_text.py",  # 83
    "tests/consumer/test_lifecycle_e2e.py",  # 81
    "tests/portfolios/test_portfolio_memory.py",  # 80
    "tests/bulk/test_bulk_submit.py",  # 79
    "tests/web/test_browser_studies.py",  # 79
    "tests/web/test_web_health.py",  # 73
    "tests/engine/test_portfolio_covariance.py",  # 73
    "tests/sweeps/test_sweep_portfolio.py",  # 73
    "tests/deploy/test_deploy_sandbox_image.py",  # 72
    "tests/web/test_browser_dashboard.py",  # 66
    "tests/deploy/test_deploy_workflow.py",  # 66
    "tests/web/test_web_fuzz.py",  # 66
    "tests/deploy/test_deploy_slow_clients.py",  # 62
    "tests/sweeps/test_sweep_compact.py",  # 59
    "tests/sweeps/test_sweep_browser.py",  # 58
    "tests/web/test_browser_portfolios.py",  # 55
    "tests/engine/test_engine_walked_programs.py",  # 54
    "tests/consumer/test_consumer_worker.py",  # 54
    "tests/web/test_web_runs.py",  # 52
    "tests/web/test_browser_candles.py",  # 51
    "tests/adapters/test_adapters_tearsheet_parity.py",  # 50
    "tests/deploy/test_deploy_local_stack.py",  # 48
    "tests/strategy/test_strategy_sandboxed.py",  # 48
    "tests/web/test_browser_run_page.py",  # 47
    "tests/web/test_browser_long_run.py",  # 47
    "tests/engine/test_engine_market_if_touched.py",  # 46
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
