"""A sweep chunk's combinations in one sandbox (``kinds.strategies.lockstep``): each has a
CPU budget of its own (``sandbox.runner.Budget``), so one whose ``init`` or ``next`` loops
forever FAILS alone naming that limit while the others in the chunk succeed with the
statistics their runs alone give."""

from __future__ import annotations

import pytest

from engine.broker.book import book_costs
from kinds.strategies.lockstep import run_strategies
from kinds.strategies.sandboxed import run_strategy
from sandbox import Limits
from tests.runs.python_strategies import SMA_CROSS
from tests.strategy.peer import random_frame
from tests.strategy.test_strategy_sandboxed import assert_identical

SPINS = (
    SMA_CROSS.replace("    n2 = 20\n", "    n2 = 20\n    spin = 0\n")
    .replace(
        "    def next(self):\n",
        "    def next(self):\n"
        "        if self.spin == 1 and len(self.data) > 40:\n"
        "            while True:\n"
        "                pass\n"
        "        if self.spin == 2 and len(self.data) > 40:\n"
        "            try:  # catches the first interrupt and goes on\n"
        "                while True:\n"
        "                    pass\n"
        "            except BaseException:\n"
        "                pass\n",
    )
    .replace(
        "    def init(self):\n",
        "    def init(self):\n        while self.spin == 3:\n            pass\n",
    )
)
"""SmaCross whose ``spin`` 1 loops forever in ``next``, 2 swallows the first interrupt of
such a loop and returns, 3 loops forever in ``init``."""

BUDGETED = Limits(
    memory_mb=512, cpu_seconds=30, wall_seconds=60, open_files=32, combination_cpu_seconds=1
)


@pytest.mark.parametrize("spin", [1, 2, 3])
def test_a_combination_past_its_cpu_budget_fails_alone(spin):
    bars = random_frame(11, 300)
    params = [{"n1": 5}, {"n1": 7, "spin": spin}, {"n1": 10}]
    outcomes = run_strategies(
        SPINS, "SmaCross", params, bars, book_costs(10_000), seeds=[1, 2, 3], limits=BUDGETED
    )
    spun = outcomes[1]
    assert spun.status == "FAILED"
    assert spun.failure.kind == "limit" and spun.failure.limit == "combination_cpu"
    assert spun.failure.message.startswith(
        "the strategy used its 1 s of CPU time for one combination of the sweep chunk"
    ), spun.failure.message
    if spin == 1:  # interrupted in the user's loop: its frame
        assert 'File "strategy.py", line 24, in next' in spun.failure.traceback
    for at in (0, 2):
        assert outcomes[at].status == "SUCCEEDED", outcomes[at].failure
        alone = run_strategy(
            SPINS, "SmaCross", params[at], bars, book_costs(10_000), seed=at + 1, limits=BUDGETED
        )
        assert outcomes[at].value["# Trades"] > 3
        assert_identical(alone.value, outcomes[at].value)


def test_the_budget_is_per_combination_not_per_chunk():
    """Ten combinations each well under the budget, together over it, all succeed."""
    bars = random_frame(12, 2_000)
    params = [{"n1": n} for n in range(3, 13)]
    limits = Limits(memory_mb=512, cpu_seconds=60, wall_seconds=120, combination_cpu_seconds=0.2)
    outcomes = run_strategies(
        SPINS, "SmaCross", params, bars, book_costs(10_000), seeds=range(10), limits=limits
    )
    assert [o.status for o in outcomes] == ["SUCCEEDED"] * 10, outcomes[0].failure


@pytest.mark.parametrize("settings", [{}, {"hedging": True}, {"exclusive_orders": True}])
def test_states_sent_without_their_unchanged_trades_give_each_run_alone(settings):
    """The parity tests' feature strategies (brackets, entry orders, partial closes moving
    SL and TP), whose trades and orders change on some bars only: a state leaves them out
    when unchanged (``lockstep.unchanged``), and each combination still gives its run
    alone's statistics bit for bit."""
    from bench.strategy_bench import strategy_module
    from tests.strategy.test_strategy_parity import brackets, entry_orders, partial_closes

    bars = random_frame(13, 400)
    for make in (brackets, entry_orders, partial_closes):
        source, name = strategy_module(make)
        costs = book_costs(100_000, 0.0, 0.001)
        outcomes = run_strategies(
            source, name, [{}, {}], bars, costs, seeds=[1, 2], limits=BUDGETED, **settings
        )
        alone = run_strategy(source, name, {}, bars, costs, seed=1, limits=BUDGETED, **settings)
        assert alone.value["# Trades"] > 3, name
        for outcome in outcomes:
            assert outcome.status == "SUCCEEDED", outcome.failure
            assert_identical(alone.value, outcome.value)


def test_unchanged_means_the_same_objects():
    from kinds.strategies.lockstep import unchanged

    price, same = 101.5, {"id": 1, "sl": None}
    assert unchanged([{"id": 1, "p": price}], [{"id": 1, "p": price}]) and unchanged([], [])
    assert not unchanged([{"id": 1, "p": 1}], [{"id": 1, "p": 1.0}])  # equal, not the same JSON
    assert not unchanged([{"id": 1, "p": -0.0}], [{"id": 1, "p": 0.0}])
    assert not unchanged([same, same], [same])
    assert not unchanged([{"id": 1}], [{"id": 1, "sl": None}])
