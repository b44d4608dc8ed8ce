"""``self.ref("DEMOIX")``: another ticker's bars on the run's calendar, the last one at or
before each bar, never a later one (a property over random calendars, and a strategy's
trades unchanged by the other ticker's later bars); the same in notebook mode and
sandboxed; on the platform the request names the tickers (``refs``: 400s naming it, the
files in the run's data hash)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backtest_strategy import Backtest, Strategy
from backtest_strategy.catalog import catalog_frame
from backtest_strategy.refs import aligned
from engine.broker.book import book_costs
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import load_market_data, market_window
from kinds.runs.kind import execute_request
from kinds.runs.python_request import code_hash
from kinds.runs.python_run import strategy_result
from kinds.runs.serialize import to_json
from kinds.strategies.sandboxed import run_strategy
from tests.sandbox.conftest import LIMITS
from tests.strategy.peer import random_frame
from tests.strategy.test_strategy_sandboxed import assert_identical
from work.kind import WorkFailed

RATIO = """\
import numpy as np
from backtest_strategy import Strategy


def mean(values, n):
    return np.convolve(values, np.ones(n) / n, "full")[: len(values)]


class Ratio(Strategy):
    other = "DEMOIX"
    n = 10

    def init(self):
        ratio = self.data.Close / self.ref(self.other).Close
        self.ratio = self.I(mean, ratio, self.n)

    def next(self):
        now = self.data.Close[-1] / self.ref(self.other).Close[-1]
        if now < self.ratio[-1] * 0.99 and not self.position:
            self.buy(size=10)
        elif now > self.ratio[-1] * 1.01 and self.position:
            self.position.close()
"""
"""A pairs strategy: long this ticker when its ratio to ``other`` falls below its mean."""


def ratio_class():
    namespace: dict = {}
    exec(compile(RATIO, "ratio.py", "exec"), namespace)  # the test's own code
    return namespace["Ratio"]


def seen_by_next(run: pd.DataFrame, other: pd.DataFrame) -> list[tuple[int, int, float]]:
    """(bar, the ref's length, its last close) on every bar ``next`` is called on."""
    seen: list[tuple[int, int, float]] = []

    class Watch(Strategy):
        def next(self):
            ref = self.ref("OTHER")
            seen.append((len(self.data) - 1, len(ref.Close), float(ref.Close[-1])))

    Backtest(run, Watch, refs={"other": other}).run()
    return seen


calendars = st.lists(st.integers(0, 400), min_size=1, max_size=60, unique=True).map(sorted)


@settings(max_examples=60, deadline=None)
@given(own=calendars, theirs=calendars, seed=st.integers(0, 10_000))
def test_a_ref_on_bar_t_is_the_other_tickers_last_bar_at_or_before_it(own, theirs, seed):
    day = pd.Timestamp("2020-01-01")
    run = random_frame(seed, len(own)).set_axis(day + pd.to_timedelta(own, "D"))
    other = random_frame(seed + 1, len(theirs)).set_axis(day + pd.to_timedelta(theirs, "D"))
    for bar, length, close in seen_by_next(run, other):
        assert length == bar + 1
        known = other[other.index <= run.index[bar]]
        if len(known):
            assert close == known["Close"].iloc[-1]
        else:
            assert np.isnan(close)
    for bar in range(len(run)):  # no later bar of the other changes what bar t shows
        cut = other[other.index <= run.index[bar]]
        future = other.copy()
        future.loc[future.index > run.index[bar], ["Open", "Close"]] = 1e9
        expected = aligned(run.index, cut).iloc[: bar + 1]
        pd.testing.assert_frame_equal(aligned(run.index, future).iloc[: bar + 1], expected)


def test_a_strategys_trades_do_not_move_when_the_other_tickers_later_bars_change():
    run, other = random_frame(3, 200), random_frame(4, 200)
    first = Backtest(run, ratio_class(), refs={"DEMOIX": other}).run()
    assert first["# Trades"] > 3
    cut = first["_trades"]["ExitTime"].iloc[2]
    changed = other.copy()
    changed.loc[changed.index > cut, "Close"] *= 1.5
    second = Backtest(run, ratio_class(), refs={"DEMOIX": changed}).run()
    pd.testing.assert_frame_equal(first["_trades"].iloc[:3], second["_trades"].iloc[:3])
    assert not first["_trades"].equals(second["_trades"])


def test_refs_sandboxed_equal_the_notebook_on_other_calendars():
    run = random_frame(5, 160)
    other = random_frame(6, 140).iloc[::2]  # every other day: the as-of join repeats bars
    expected = Backtest(run, ratio_class(), cash=100_000, refs={"DEMOIX": other}).run()
    outcome = run_strategy(
        RATIO, "Ratio", {}, run, book_costs(100_000), limits=LIMITS, refs={"DEMOIX": other}
    )
    assert outcome.status == "SUCCEEDED", outcome.failure
    assert expected["# Trades"] > 3
    assert_identical(expected, outcome.value)


def test_a_ref_the_run_does_not_name_fails_naming_refs():
    outcome = run_strategy(
        RATIO, "Ratio", {}, random_frame(5, 60), book_costs(10_000), limits=LIMITS
    )
    assert outcome.status == "FAILED" and "refs" in outcome.failure.message
    assert "DEMOIX" in outcome.failure.message
    with pytest.raises(KeyError, match="DEMOIX"):
        Backtest(random_frame(5, 60), ratio_class(), refs={"OTHER": random_frame(6)}).run()


BASE = {
    "ticker": "ACME",
    "rule_type": "PYTHON",
    "start_date": "2016-01-01",
    "end_date": "2018-12-31",
    "strategy_code": RATIO,
    "strategy_class": "Ratio",
    "refs": ["demoix"],
    "initial_capital": 10_000,
    "fee_rate": 0.0,
    "charts": False,
}


def test_the_platforms_run_with_refs_is_the_notebooks_from_the_catalog():
    request = parse_request(BASE)
    assert request.to_dict()["refs"] == ["DEMOIX"]
    backtest = Backtest("ACME", ratio_class(), start_date="2016-01-01", end_date="2018-12-31")
    stats = backtest.run()
    frame = market_window(load_market_data(request))
    expected = strategy_result(request, frame.bars, stats, frame.data_hash, code_hash(RATIO))
    assert stats["# Trades"] > 3
    assert to_json(execute_request(request)) == to_json(expected)


def test_the_referenced_file_is_part_of_the_runs_data_hash():
    with_refs = load_market_data(parse_request(BASE)).data_hash
    without = load_market_data(parse_request({**BASE, "refs": None})).data_hash
    assert with_refs != without
    assert "refs" not in parse_request({**BASE, "refs": []}).to_dict()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"refs": "DEMOIX"}, "list"),
        ({"refs": [3]}, "list"),
        ({"refs": [f"T{i}" for i in range(17)]}, "at most 16"),
        (
            {"rule_type": "RSI", "params": None, "strategy_code": None, "strategy_class": None},
            "PYTHON",
        ),
    ],
)
def test_a_bad_refs_is_a_400_naming_it(fields, message):
    with pytest.raises(RequestError, match=message) as caught:
        parse_request({**BASE, **fields})
    assert caught.value.field == "refs"


def test_a_ticker_the_catalog_does_not_hold_is_a_400_naming_refs():
    with pytest.raises(RequestError) as caught:
        load_market_data(parse_request({**BASE, "refs": ["DEMOIX", "NOSUCH"]}))
    assert caught.value.field == "refs" and "NOSUCH" in caught.value.message


def test_a_run_refing_a_ticker_it_did_not_name_fails_with_the_users_message():
    with pytest.raises(WorkFailed, match="refs"):
        execute_request(parse_request({**BASE, "refs": None}))


def test_a_submission_names_the_tickers_its_notebook_run_refd(tmp_path, monkeypatch):
    from tests.strategy.test_strategy_submit import module_file, submitted

    module = module_file(RATIO, "ratio_module", tmp_path, monkeypatch)
    backtest = Backtest("ACME", module.Ratio, start_date="2016-01-01", end_date="2018-12-31")
    backtest.run()  # the catalog loader reads DEMOIX
    body = submitted(backtest, fields={"charts": False})
    assert body["refs"] == ["DEMOIX"]
    stats = backtest.run()
    assert execute_request(parse_request(body)).metrics["final_equity"] == stats["Equity Final [$]"]
    given = Backtest(
        catalog_frame("ACME", "2016-01-01", "2016-06-30"),
        module.Ratio,
        refs={"demoix": random_frame(1)},
    )
    assert submitted(given, ticker="ACME")["refs"] == ["DEMOIX"]
