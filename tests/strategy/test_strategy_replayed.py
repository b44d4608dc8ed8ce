"""A sweep chunk's combinations in one sandbox (``kinds.strategies.replayed``): each has a
CPU budget of its own (``sandbox.runner.Budget``), so one whose ``init`` or ``next`` loops
forever FAILS alone naming that limit while the others in the chunk succeed with the
statistics their runs alone give."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.broker.book import book_costs
from kinds.strategies.replayed import run_strategies
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
def test_feature_strategies_replayed_give_each_run_alone(settings):
    """The parity tests' feature strategies (brackets, entry orders, partial closes moving
    SL and TP): each combination, run whole against the child's copy of its book and
    replayed through this process's, gives its run alone's statistics bit for bit."""
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


def test_a_sweeps_points_keep_the_figures_of_the_statistics_without_their_frames():
    """``summarize=strategy_figures`` (what a sweep's points keep): each combination's
    figures are its statistics' bit for bit, its equity their ``_equity_curve``'s, its
    trades' columns their ``_trades``', with no pandas frame made."""
    from adapters.strategy_stats import Figures, strategy_figures
    from bench.strategy_bench import strategy_module
    from tests.strategy.test_strategy_parity import brackets

    bars = random_frame(17, 400)
    source, name = strategy_module(brackets)
    costs = book_costs(100_000, 0.0, 0.001)
    kept = run_strategies(
        source, name, [{}, {}], bars, costs, seeds=[1, 2], limits=BUDGETED,
        summarize=strategy_figures,
    )  # fmt: skip
    full = run_strategies(source, name, [{}, {}], bars, costs, seeds=[1, 2], limits=BUDGETED)
    for figures, stats in zip(kept, full, strict=True):
        assert figures.status == stats.status == "SUCCEEDED", figures.failure
        figures, stats = figures.value, stats.value
        assert isinstance(figures, Figures) and stats["# Trades"] > 3
        assert list(figures.stats) == [k for k in stats.index if not k.startswith("_")]
        assert_identical(stats.drop(["_strategy", "_equity_curve", "_trades"]), pd.Series(
            figures.stats, dtype=object
        ))  # fmt: skip
        equity = stats["_equity_curve"]["Equity"].to_numpy()
        assert figures.equity.tobytes() == equity.tobytes()
        assert figures.trades["pnl"].tobytes() == stats["_trades"]["PnL"].to_numpy().tobytes()


TAGGED = """
from backtest_strategy import Strategy


class Tagged(Strategy):
    width = 3000
    refuse_at = -1

    def init(self):
        pass

    def next(self):
        bar = len(self.data) - 1
        if bar == self.refuse_at:
            self._host.decide({"op": "bogus"})
        if self.position:
            self.position.close()
        elif bar % 2:
            self.buy(size=1, tag=["bar", bar, "x" * self.width])
        for trade in self.trades:
            if isinstance(trade.tag, list):
                trade.tag.append(bar)  # a booked tag changed by the strategy
"""
"""Decides on every bar, each order with a large list tag that the strategy then changes:
its decisions take several of the child's pages, and the states must not show the
child's book's tag changed in place."""


def test_decisions_of_many_pages_and_changed_tags_give_each_run_alone():
    """Beside a combination refused on a bar past its first page (the child still holding
    pages of it) and before the next combination, which the child drives meanwhile."""
    from engine.broker.decision_log import PAGE_BYTES

    bars = random_frame(14, 1_500)
    params = [{}, {"refuse_at": 1_200}, {"width": 10}]
    outcomes = run_strategies(
        TAGGED, "Tagged", params, bars, book_costs(100_000), seeds=[1, 2, 3], limits=BUDGETED
    )
    assert 2 * PAGE_BYTES < 1_500 // 2 * 3_000  # the first combination's log: several pages
    refused = outcomes[1]
    assert refused.status == "FAILED" and refused.failure.kind == "decision"
    assert refused.failure.message.startswith("the strategy's decisions on bar 1200 ")
    for at, outcome in enumerate(outcomes):
        if at == 1:
            continue
        assert outcome.status == "SUCCEEDED", outcome.failure
        alone = run_strategy(
            TAGGED, "Tagged", params[at], bars, book_costs(100_000), seed=at + 1, limits=BUDGETED
        )
        assert alone.value["# Trades"] > 300
        assert_identical(alone.value, outcome.value)


ALTERED = """
from backtest_strategy import Strategy
from engine.broker import book

if ALTER:  # the child's copy of the book: what the strategy reads
    book.Book.state = lambda self, state=book.Book.state: {**state(self), "equity": 1e12}


class Hold(Strategy):
    def init(self):
        pass

    def next(self):
        bar = len(self.data) - 1
        if bar == 20:
            self.buy(size=0.5)
        if bar == 200:
            self.position.close()
        if bar == 100:
            print("equity read", self.equity)
"""


def test_the_childs_copy_of_the_book_decides_nothing_about_the_result():
    """Code that alters the child's book changes what the strategy reads, not the
    equity, trades and statistics: this process's book makes them."""
    bars = random_frame(15, 300)
    runs = [
        run_strategies(
            ALTERED.replace("ALTER", str(alter)), "Hold", [{}], bars, book_costs(10_000),
            seeds=[1], limits=BUDGETED,
        )[0]
        for alter in (False, True)
    ]  # fmt: skip
    plain, altered = runs
    assert plain.status == altered.status == "SUCCEEDED"
    assert plain.value["# Trades"] == 1
    assert "equity read 1000000000000.0" in altered.output
    assert "equity read 1000000000000.0" not in plain.output
    assert_identical(plain.value, altered.value)


FORGER = """
from backtest_strategy import Strategy
from engine.broker import decision_log as log


def forged(decide, book, start, adjusted, wire):
    yield {"log": [[start + 5, []], [start + 2, []]], "through": start + 9, "done": False}


log.driven = forged


class Quiet(Strategy):
    def init(self):
        pass

    def next(self):
        pass
"""


def test_a_malformed_page_of_decisions_fails_the_chunk_as_a_broken_protocol():
    outcomes = run_strategies(
        FORGER, "Quiet", [{}, {}], random_frame(16, 100), book_costs(10_000), seeds=[1, 2],
        limits=BUDGETED,
    )  # fmt: skip
    for outcome in outcomes:
        assert outcome.status == "FAILED"
        assert outcome.failure.kind == "protocol", outcome.failure
        assert "page of decisions" in outcome.failure.message
