"""A user's strategy module run in the sandbox (``kinds.strategies.sandboxed``) against the
same code in process (notebook mode's ``Backtest``): exactly equal statistics, trades and
equity; and the failures a user reads (their own traceback, which limit stopped them, a
missing class, a refused decision naming its field), and the same numbers on every run."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import backtest_strategy
from bench.peers import goog_csv
from bench.strategy_bench import STRATEGY_IMPORTS, strategy_module
from engine.broker.book import book_costs
from kinds.strategies.inputs import bars_payload
from kinds.strategies.sandboxed import run_strategy
from sandbox import Limits
from tests.sandbox.conftest import LIMITS
from tests.strategy.peer import random_frame, sma_cross
from tests.strategy.test_strategy_parity import brackets, entry_orders, partial_closes


def both(make, df, params=None, cash=10_000, commission=0.0, spread=0.0, seed=0, **settings):
    """(notebook mode's stats, the sandboxed run's outcome) of one strategy and data."""
    source, name = strategy_module(make)
    namespace: dict = {}
    exec(compile(source, "strategy.py", "exec"), namespace)
    params = params or {}
    ours = backtest_strategy.Backtest(
        df, namespace[name], cash=cash, commission=commission, spread=spread, **settings
    ).run(**params)
    fixed, rate = commission if isinstance(commission, tuple) else (0.0, commission)
    finalize = settings.pop("finalize_trades", False)
    outcome = run_strategy(
        source,
        name,
        params,
        df,
        book_costs(cash, spread, rate, fee_fixed=fixed),
        finalize_trades=finalize,
        seed=seed,
        limits=LIMITS,
        **settings,
    )
    return ours, outcome


def assert_identical(expected: pd.Series, got: pd.Series) -> None:
    """Every statistic, the equity curve and the trades bit for bit (``_strategy`` aside)."""
    assert list(got.index) == list(expected.index)
    for key in expected.index:
        if key == "_strategy":
            continue
        want, have = expected[key], got[key]
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(have, want, check_exact=True)
            for column in want:
                if want[column].dtype.kind == "f":
                    assert have[column].to_numpy().tobytes() == want[column].to_numpy().tobytes()
        elif isinstance(want, float) and math.isnan(want):
            assert isinstance(have, float) and math.isnan(have), key
        else:
            assert type(have) is type(want) and have == want, key


@pytest.fixture(scope="module")
def goog():
    return pd.read_csv(goog_csv(), index_col=0, parse_dates=True)


def test_sma_cross_on_goog_sandboxed_is_the_notebooks_bit_for_bit(goog):
    expected, outcome = both(sma_cross, goog, {"fast": 10, "slow": 20}, commission=0.002)
    assert outcome.status == "SUCCEEDED", outcome.failure
    assert outcome.value["# Trades"] == expected["# Trades"] > 50
    assert outcome.value["_strategy"] == "SmaCross"
    assert_identical(expected, outcome.value)


CASES = {
    "brackets": (brackets, {}),
    "entry orders, hedging": (entry_orders, {"hedging": True}),
    "entry orders, spread": (entry_orders, {"spread": 0.001}),
    "partial closes, on close": (partial_closes, {"trade_on_close": True}),
    "partial closes, fixed fee": (partial_closes, {"commission": (3.0, 0.001)}),
    "exclusive orders": (brackets, {"exclusive_orders": True}),
    "margin": (brackets, {"margin": 0.5}),
    "always in the market, finalized": (sma_cross, {"finalize_trades": True}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_parity_suites_strategies_sandboxed_equal_the_notebook(case):
    make, settings = CASES[case]
    expected, outcome = both(make, random_frame(1, 160), cash=100_000, **settings)
    assert outcome.status == "SUCCEEDED", outcome.failure
    assert expected["# Trades"] > 0
    assert_identical(expected, outcome.value)


def test_the_bars_cross_with_their_dtypes_index_and_zone():
    frame = random_frame(2, 5).tz_localize("America/New_York")
    frame["Volume"] = [1, 2, 3, 4, 5]
    frame["Flag"] = [True, False, True, False, True]
    frame.loc[frame.index[2], "Close"] = math.nan
    from backtest_strategy.host import frame_from_columns

    rebuilt = frame_from_columns(bars_payload(frame))
    pd.testing.assert_frame_equal(rebuilt, frame, check_exact=True, check_freq=False)
    plain = frame.reset_index(drop=True)
    pd.testing.assert_frame_equal(frame_from_columns(bars_payload(plain)), plain)
    with pytest.raises(ValueError, match=r"bars\.Name"):
        bars_payload(frame.assign(Name="x"))


def sandboxed(body: str, df=None, seed=0, limits=LIMITS, name="Mine"):
    """The outcome of a strategy class ``Mine`` whose ``next`` is ``body``."""
    source = (
        STRATEGY_IMPORTS
        + "import random\n\n\n"
        + "class Mine(Strategy):\n"
        + "    def init(self):\n"
        + "        self.values = []\n\n"
        + "    def next(self):\n"
        + "".join(f"        {line}\n" for line in body.splitlines())
    )
    df = random_frame(3, 30) if df is None else df
    return run_strategy(source, name, {}, df, book_costs(10_000), seed=seed, limits=limits)


def test_an_exception_in_next_fails_with_the_users_own_frames_and_lines():
    outcome = sandboxed("if len(self.data) == 9:\n    {}['missing']\nself.buy(size=1)")
    failure = outcome.failure
    assert (outcome.status, failure.kind) == ("FAILED", "exception")
    assert failure.message == "KeyError: 'missing'"
    assert failure.traceback.splitlines()[:3] == [
        "Traceback (most recent call last):",
        '  File "strategy.py", line 16, in next',
        "    {}['missing']",
    ]
    assert "backtest_strategy" not in failure.traceback and "sandbox" not in failure.traceback


def test_an_exception_in_init_names_its_line():
    source = STRATEGY_IMPORTS + "class Mine(Strategy):\n    def init(self):\n        1 / 0\n"
    outcome = run_strategy(source, "Mine", {}, random_frame(0, 10), book_costs(10_000))
    assert outcome.failure.message == "ZeroDivisionError: division by zero"
    assert '  File "strategy.py", line 9, in init' in outcome.failure.traceback


WAITING = Limits(memory_mb=512, cpu_seconds=30, wall_seconds=3, open_files=32)


@pytest.mark.parametrize(
    ("body", "limits", "limit", "said"),
    [
        ("while True:\n    pass", LIMITS, "cpu", "used its 2 s of CPU time"),
        ("import time\ntime.sleep(600)", WAITING, "wall", "ran 3 s, its time limit"),
        ("self.values.append(bytearray(1 << 30))", LIMITS, "memory", "(limit 512 MB)"),
    ],
    ids=["endless loop", "waiting forever", "memory bomb"],
)
def test_a_strategy_is_stopped_at_the_limit_it_hit_and_told_which(body, limits, limit, said):
    outcome = sandboxed(body, limits=limits)
    assert (outcome.failure.kind, outcome.failure.limit) == ("limit", limit)
    assert said in outcome.failure.message


def test_a_missing_class_is_named_with_the_classes_the_code_defines():
    outcome = sandboxed("pass", name="SmaCross")
    assert outcome.failure.kind == "exception"
    assert outcome.failure.message == (
        "LookupError: strategy_class: the code defines no class 'SmaCross' "
        "(its Strategy classes: Mine)"
    )
    outcome = sandboxed("pass", name="np")
    assert "'np' is not a backtest_strategy.Strategy subclass" in outcome.failure.message


@pytest.mark.parametrize(
    ("forged", "field"),
    [
        ("{'op': 'order', 'id': 1, 'size': 'abc'}", "decisions[0].size: must be a finite number"),
        ("{'op': 'order', 'id': 1, 'size': 10**400}", "decisions[0].size"),
        ("{'op': 'close', 'trade': 99, 'portion': 1}", "decisions[0].trade: no open trade"),
        ("{'op': 'launch'}", "decisions[0].op: must be one of"),
    ],
)
def test_a_malformed_decision_fails_with_the_books_message_naming_the_field(forged, field):
    outcome = sandboxed(f"self._host.decide({forged})")
    failure = outcome.failure
    assert (outcome.status, failure.kind) == ("FAILED", "decision")
    assert failure.message.startswith("the strategy's decisions on bar 1 (2020-01-02 00:00:00)")
    assert field in failure.message


def test_decisions_that_are_not_a_list_are_refused():
    body = "pass"
    source = (
        STRATEGY_IMPORTS + "from backtest_strategy import host\n"
        "host.Host.on_bar = lambda self, bar, states: {'op': 'order'}\n\n"
        "class Mine(Strategy):\n    def init(self):\n        pass\n\n"
        f"    def next(self):\n        {body}\n"
    )
    outcome = run_strategy(source, "Mine", {}, random_frame(0, 10), book_costs(10_000))
    assert outcome.failure.kind == "decision"
    assert "decisions: must be a list, is a dict" in outcome.failure.message


RANDOM = (
    "if random.random() < 0.3:\n"
    "    self.buy(size=int(np.random.randint(1, 20)))\n"
    "elif random.random() < 0.3 and self.position:\n"
    "    self.position.close()"
)


def test_a_strategy_drawing_random_numbers_gives_the_same_result_for_one_seed():
    df = random_frame(4, 80)
    first, again, other = (sandboxed(RANDOM, df, seed) for seed in (11, 11, 12))
    assert first.status == again.status == other.status == "SUCCEEDED"
    assert_identical(first.value, again.value)
    assert first.value["# Trades"] > 5
    assert not first.value["_trades"].equals(other.value["_trades"])


def test_the_module_cannot_call_its_own_functions_in_host_mode():
    source = STRATEGY_IMPORTS + "def init(payload):\n    return 1\n"
    outcome = run_strategy(source, "Mine", {}, random_frame(0, 10), book_costs(10_000))
    assert outcome.failure.message.startswith("LookupError: strategy_class: the code defines no")


PEEK = """
import os


def peek(path):
    try:
        with open(path, "rb") as stream:
            stream.read(1)
        return "read"
    except OSError as exc:
        return type(exc).__name__


class Mine(Strategy):
    root = ""

    def init(self):
        root = self.root
        seen = {
            name: peek(os.path.join(root, name))
            for name in ("backtest_strategy/host.py", "config/process.py", "sandbox/launcher.py")
        }
        try:
            os.listdir(root)
            seen["root"] = "listed"
        except OSError as exc:
            seen["root"] = type(exc).__name__
        raise RuntimeError(repr(sorted(seen.items())))

    def next(self):
        pass
"""


def test_host_mode_reads_the_strategy_package_and_nothing_else_of_the_project():
    root = str(Path(__file__).resolve().parents[2])
    outcome = run_strategy(
        STRATEGY_IMPORTS + PEEK, "Mine", {"root": root}, random_frame(0, 10), book_costs(10_000)
    )
    seen = dict(ast.literal_eval(outcome.failure.message.removeprefix("RuntimeError: ")))
    assert seen == {
        "backtest_strategy/host.py": "read",
        "config/process.py": "PermissionError",
        "sandbox/launcher.py": "PermissionError",
        "root": "PermissionError",
    }


@pytest.mark.parametrize("value", [np.int64(3), math.nan, {1, 2}])
def test_params_json_cannot_hold_are_refused_naming_the_field_before_any_child(value):
    source, name = strategy_module(sma_cross)
    with pytest.raises(ValueError, match=r"^params: values JSON can hold"):
        run_strategy(source, name, {"fast": value}, random_frame(0, 30), book_costs(10_000))
