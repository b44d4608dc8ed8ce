"""The signal cost estimate and exact reach (rules.cost): the figures of the documented
formula (a series inside ref or tf on the bars it is computed on), and signals computed from
``window start − reach`` equal to those computed on the whole history, bit for bit, for
every function counted as local."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from rules import generate_signals, validate_rule
from rules.cost import reach, signal_cost
from rules.expr.check import checked
from rules.expr.evaluate import evaluate_series
from rules.expr.parse import parse
from tests.bars import daily_bars


def expr(entry: str, exit: str = "close < 0", **values) -> dict:
    return validate_rule("EXPR", {"entry": entry, "exit": exit, **values})[1]


def test_a_scanning_indicator_costs_its_window_per_bar():
    """zscore(close, 2000) > 0: the zscore 1 + 2000, close, the comparison, the exit's
    comparison; numbers are free. The adversary's one-day window on 100,000 bars: 2.0e8."""
    cost = signal_cost("EXPR", expr("zscore(close, 2000) > 0"), 100_000)
    assert cost.per_bar == 2004
    assert cost.work == 200_400_000


def test_equal_sub_expressions_are_counted_once_as_they_are_computed_once():
    once = signal_cost("EXPR", expr("stdev(close, 500) > 1", "stdev(close, 500) > 1"), 1_000)
    twice = signal_cost("EXPR", expr("stdev(close, 500) > 1", "stdev(close, 500) < 1"), 1_000)
    assert once.work == 1_000 * (501 + 1 + 1)  # stdev, close, the comparison
    assert twice.work - once.work == 1_000  # only the exit's comparison is new


def test_a_window_parameter_is_counted_at_its_value():
    params = expr("highest(close, $n) > 0", n=1500)
    assert signal_cost("EXPR", params, 10).per_bar == 1501 + 1 + 1 + 1  # highest, close, > <


def test_nested_stdev_costs_the_sum_of_its_windows():
    text = "close"
    for i in range(14):
        text = f"stdev({text}, {2000 - i})"
    cost = signal_cost("EXPR", expr(f"{text} > 0"), 100_000)
    assert cost.per_bar == sum(2001 - i for i in range(14)) + 3
    assert cost.work > 2e9


def test_a_built_in_rule_costs_one_plus_its_periods_and_a_composite_the_sum():
    _, bollinger = validate_rule("BOLLINGER", {"period": 400, "std_dev": 2.0})
    assert signal_cost("BOLLINGER", bollinger, 100).per_bar == 401
    _, composite = validate_rule(
        "COMPOSITE",
        {"operator": "AND", "rules": [
            {"rule_type": "BOLLINGER", "params": {"period": 400, "std_dev": 2.0}},
            {"rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 20}},
        ]},
    )  # fmt: skip
    assert signal_cost("COMPOSITE", composite, 100).per_bar == 401 + 31


def test_held_values_count_bars_times_series():
    cost = signal_cost("EXPR", expr("sma(close, 20) > close"), 1_000)
    assert cost.values == 1_000 * (6 + 1 + 1 + 1)  # sma; close; both comparisons


@pytest.mark.parametrize(
    ("entry", "exit", "expected"),
    [
        ("crossover(close, highest(close, 20))", "roc(close, 5) < 0", 20),
        ("lag(close, 3) > lowest(low, 10)", "close < 0", 9),
        ("stoch_k(14) < 20 and abs(close - lag(close, 1)) > 0.5", "close < 0", 13),
        ("lag(highest(close, 10), 5) > 1", "not (close > 1)", 14),
        ("close > sma(close, 20)", "close < 0", None),
        ("close > ema(close, 20)", "close < 0", None),
        ("zscore(close, 20) > 1", "close < 0", None),
        ("obv() > 0", "close < 0", None),
        ("vwap(20) > close", "close < 0", None),
        ("highest(close, 5) > 0", "rsi(close, 14) > 70", None),
        ('ref("X", lag(highest(close, 5), 2)) > lag(close, 3)', "close < 0", 3),
        ('ref("X", sma(close, 5)) > close', "close < 0", None),
        ('tf("1w", highest(close, 5)) > close', "close < 0", None),
    ],
)
def test_reach_is_finite_only_for_local_functions(entry, exit, expected):
    assert reach("EXPR", expr(entry, exit)) == expected


def test_built_in_rules_keep_the_whole_history():
    assert reach("BREAKOUT", validate_rule("BREAKOUT", None)[1]) is None


LOCAL_TEXTS = [
    ("crossover(close, lag(highest(close, 20), 1))", "close < 0"),
    ("close < lag(lowest(close, 15), 2)", "close < 0"),
    ("roc(close, 7) > 1 and lag(close, 2) < high", "close < 0"),
    ("crossunder(roc(close, 3), -1)", "close < 0"),
    ("stoch_k(14) < 20", "close < 0"),
    ("log(close) > lag(log(close), 30)", "abs(roc(volume, 1)) > 40"),
    ("max(close, lag(open, 4)) / min(low, lag(low, 50)) > 1.01", "close < 0"),
]
"""Local programs whose entries hold on some bars, each with its reach set by a different
function (so a reach one bar short for any of them shows)."""


@pytest.mark.parametrize(("entry", "exit"), LOCAL_TEXTS)
def test_signals_from_the_window_start_minus_reach_equal_the_whole_history(entry, exit):
    """Every window start on random bars; a reach one bar short fails (checked by hand)."""
    rng = np.random.default_rng(7)
    n = 600
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    bars = daily_bars(
        close,
        high=close * (1 + rng.uniform(0, 0.02, n)),
        low=close * (1 - rng.uniform(0, 0.02, n)),
        open_=close * (1 + rng.normal(0, 0.01, n)),
        volume=rng.integers(1, 1000, n).astype(float),
    )
    params = expr(entry, exit)
    bars_back = reach("EXPR", params)
    assert bars_back is not None
    whole_entries, whole_exits = generate_signals("EXPR", params, bars)
    assert whole_entries.any()
    for start in range(bars_back, n):
        cut = bars.slice(start - bars_back, n)
        entries, exits = generate_signals("EXPR", params, cut)
        np.testing.assert_array_equal(entries[bars_back:], whole_entries[start:])
        np.testing.assert_array_equal(exits[bars_back:], whole_exits[start:])


def _shifted(bars: Bars, days: int) -> Bars:
    """``bars`` stamped ``days`` later."""
    stamps = bars.timestamps + np.timedelta64(days, "D")
    return Bars(stamps, bars.open, bars.high, bars.low, bars.close, bars.volume)


def test_a_series_inside_ref_costs_on_the_stretch_of_the_tickers_bars_it_reads():
    """The run's 300 days (days 1,000..1,299) ref a 5,000-day file (days 0..4,999): an
    unbounded series is computed on days 0..1,299, a bounded one from its reach before day
    1,000; counted there, not on the run's 300 bars."""
    own = _shifted(daily_bars(np.linspace(1, 2, 300)), 1_000)
    others = {"X": daily_bars(np.linspace(1, 2, 5_000))}
    unbounded = signal_cost("EXPR", expr('ref("X", zscore(close, 200)) > 0'), own, others)
    assert [(p.where, p.bars, p.work) for p in unbounded.others] == [
        ('ref("X", …)', 1_300, 201 + 1)  # zscore and close
    ]
    assert unbounded.work == 300 * 4 + 1_300 * 202  # own: ref, >, the exit's close and <
    bounded = signal_cost("EXPR", expr('ref("X", highest(close, 200)) > 0'), own, others)
    assert [p.bars for p in bounded.others] == [300 + 199]


def test_a_series_inside_tf_costs_on_its_periods_and_a_ref_inside_on_its_own_stretch():
    own = daily_bars(np.linspace(1, 2, 700))  # 100 weeks, 1970-01-01 a Thursday: 101 periods
    others = {"X": daily_bars(np.linspace(1, 2, 2_000))}
    cost = signal_cost("EXPR", expr('tf("1w", ref("X", sma(close, 5))) > 0'), own, others)
    assert [(p.where, p.bars) for p in cost.others] == [
        ('tf("1w", …)', 101),
        ('ref("X", …) inside tf("1w", …)', 700),  # up to the last week's last day
    ]


def test_refs_of_one_ticker_share_the_stretch_they_read_as_they_are_computed_once():
    own = _shifted(daily_bars(np.linspace(1, 2, 300)), 1_000)
    others = {"X": daily_bars(np.linspace(1, 2, 5_000))}
    text = (
        'ref("X", sma(close, 20)) > ref("X", ema(close, 5))'
        ' and ref("X", highest(close, 9)) > ref("X", lowest(close, 9))'
    )
    parts = signal_cost("EXPR", expr(text), own, others).others
    assert sorted((p.bars, p.work) for p in parts) == [(308, 10 + 10 + 1), (1_300, 1 + 1 + 1)]


def test_a_ref_to_a_ticker_starting_after_the_run_reads_none_of_its_bars():
    """No run bar sees any of X's bars: its series is undefined everywhere, computed on none."""
    own = daily_bars(np.linspace(1, 2, 50))
    others = {"X": _shifted(daily_bars(np.linspace(1, 2, 100)), 1_000)}
    text = 'ref("X", sma(close, 5))'
    cost = signal_cost("EXPR", expr(f"{text} > 0"), own, others)
    assert [part.bars for part in cost.others] == [0]
    values = evaluate_series(checked(parse(text)), own, {}, {}, others)
    assert values.shape == (50,) and np.isnan(values).all()
