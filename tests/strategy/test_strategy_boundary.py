"""The strategy side runs inside the sandbox: importing ``backtest_strategy`` (its
``Strategy``, ``lib`` and the host of the broker's boundary) loads nothing beyond what numpy
and pandas load themselves; the notebook mode's ``Backtest`` alone loads the engine."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.docs.test_docs import ROOT

_LOADED = "import sys, json; {imports}; print(json.dumps(sorted(sys.modules)))"


def _modules(imports: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-I", "-c", _LOADED.format(imports=imports)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT)},
    )
    return set(json.loads(out.stdout))


def test_strategy_side_loads_only_numpy_pandas_and_the_standard_library():
    baseline = _modules("import numpy, pandas")
    side = _modules(
        "import sys; sys.path.insert(0, '.'); "
        "import backtest_strategy, backtest_strategy.lib, backtest_strategy.host"
    )
    extra = {name.split(".")[0] for name in side - baseline} - {"backtest_strategy"}
    assert extra <= set(sys.stdlib_module_names), extra - set(sys.stdlib_module_names)


def test_backtest_is_loaded_only_when_asked_for():
    loaded = _modules(
        "import sys; sys.path.insert(0, '.'); import backtest_strategy; backtest_strategy.Backtest"
    )
    assert "engine.broker.book" in loaded
