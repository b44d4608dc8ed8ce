"""rules.warmup: every formula against the rule's own signal function on random series —
no entry (exit) before its warm-up, and one on the warm-up's own bar is possible."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from rules import RULES, generate_signals, validate_rule
from rules.warmup import has_warmup, warmup
from tests.bars import daily_bars

SERIES = 300
"""Random series per parameter set: enough for a signal on the first possible bar to occur
in at least one of them (each formula is exact, so a late first signal would be a bug)."""

CASES = [
    ("RSI", {"period": 3, "oversold": 45, "overbought": 55}),
    ("MACD", {"fast": 2, "slow": 4, "signal": 3}),
    ("SMA_CROSS", {"fast": 2, "slow": 5}),
    (
        "RSI_MACD",
        {"rsi_period": 3, "rsi_below": 55, "overbought": 55, "fast": 2, "slow": 3, "signal": 2},
    ),
    (
        "RSI_MACD",
        {"rsi_period": 9, "rsi_below": 55, "overbought": 55, "fast": 2, "slow": 3, "signal": 2},
    ),
    ("BOLLINGER", {"period": 3, "std_dev": 0.5}),
    ("MOMENTUM", {"period": 4, "entry_threshold": 0, "exit_threshold": 0}),
    ("MEAN_REVERSION", {"period": 4, "entry_z": -0.3, "exit_z": 0.3}),
    ("BREAKOUT", {"entry_period": 2, "exit_period": 5}),
    ("VOLUME", {"volume_period": 3, "volume_factor": 1.2, "exit_period": 6}),
    ("VOLUME", {"volume_period": 2, "volume_factor": 1.0, "exit_period": 2}),
    ("TREND", {"period": 3, "adx_threshold": 10}),
    ("ATR", {"period": 3, "multiplier": 0.3}),
    (
        "COMPOSITE",
        {
            "operator": "OR",
            "rules": [
                {"rule_type": "RSI", "params": {"period": 5, "oversold": 45, "overbought": 55}},
                {
                    "rule_type": "MOMENTUM",
                    "params": {"period": 2, "entry_threshold": 0, "exit_threshold": 0},
                },
            ],
        },
    ),
    (
        "COMPOSITE",
        {
            "operator": "AND",
            "rules": [
                {"rule_type": "RSI", "params": {"period": 3, "oversold": 50, "overbought": 51}},
                {
                    "rule_type": "MOMENTUM",
                    "params": {"period": 5, "entry_threshold": 0, "exit_threshold": 0},
                },
            ],
        },
    ),
]


CASES += [
    (
        "EXPR",
        {"entry": "rsi(sma(close, $a), $b) < 45", "exit": "stoch_d(3, 2) > 60", "a": 3, "b": 2},
    ),
    (
        "EXPR",
        {
            "entry": "crossover(ema(close, $n), vwap(4)) and lag(close > lag(close, 1), 2)",
            "exit": "roc(close, 2) < 0 or lag(close, $n) > close",
            "n": 3,
        },
    ),
    ("EXPR", {"entry": "macd_hist(close, 2, 4, $s) > 0", "exit": "adx(3) > 10", "s": 2}),
]


def _random_bars(rng: np.random.Generator, n: int) -> Bars:
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    high = close * (1 + rng.uniform(0, 0.03, n))
    low = close * (1 - rng.uniform(0, 0.03, n))
    volume = rng.lognormal(10, 1, n)
    return daily_bars(close, high=high, low=low, volume=volume)


def _first_signals(rule_type: str, params: dict, n: int) -> tuple[set[int], set[int]]:
    """The first entry bar and first exit bar of every random series (n bars each)."""
    rng = np.random.default_rng(7)
    first_entries, first_exits = set(), set()
    for _ in range(SERIES):
        entries, exits = generate_signals(rule_type, params, _random_bars(rng, n))
        first_entries.add(int(np.argmax(entries)) if entries.any() else n)
        first_exits.add(int(np.argmax(exits)) if exits.any() else n)
    return first_entries, first_exits


@pytest.mark.parametrize(("rule_type", "params"), CASES)
def test_the_first_signal_comes_exactly_at_the_warm_up(rule_type, params):
    """Over many random series the earliest first entry (exit) is the warm-up's bar."""
    rule_type, params = validate_rule(rule_type, params)
    entry, exit_ = warmup(rule_type, params)
    first_entries, first_exits = _first_signals(rule_type, params, max(entry, exit_) + 3)
    assert min(first_entries) == entry
    assert min(first_exits) == exit_


def test_every_rule_has_a_warm_up_and_a_case_here():
    """A new rule must get a formula (and a case above) before the analyzer can name it."""
    assert all(has_warmup(name) for name in RULES)
    assert {rule_type for rule_type, _ in CASES} == set(RULES)


@pytest.mark.parametrize("rule_type", sorted(RULES))
def test_default_parameters_never_signal_before_the_warm_up(rule_type):
    """With each rule's defaults no series signals before its warm-up."""
    rule_type, params = validate_rule(rule_type, None)
    entry, exit_ = warmup(rule_type, params)
    rng = np.random.default_rng(11)
    for _ in range(20):
        entries, exits = generate_signals(rule_type, params, _random_bars(rng, 120))
        assert not entries[:entry].any()
        assert not exits[:exit_].any()
