"""The strategy language (rules.expr) and the EXPR rule: each built-in rule written as an
expression gives its signals bit for bit; no signal reads a later bar; every bad text is
refused naming its field and position, cheaply."""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine import Bars
from rules import generate_signals, generate_signals_batch, validate_rule
from rules.expr.functions import FUNCTIONS, OTHER_BARS
from rules.spec import RuleValidationError
from rules.warmup import warmup
from tests.bars import daily_bars, goog_frame
from tests.rules.expr_builtins import BUILTINS, ISSUE_EXAMPLE, expr_params


@pytest.fixture(scope="module")
def goog() -> Bars:
    frame = goog_frame()
    columns = (frame[c].to_numpy(float) for c in ("Open", "High", "Low", "Close", "Volume"))
    return Bars(frame.index.values, *columns)


def _random_bars(rng: np.random.Generator, n: int) -> Bars:
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * (1 + rng.normal(0, 0.01, n))
    high = np.maximum(close, open_) * (1 + rng.uniform(0, 0.02, n))
    low = np.minimum(close, open_) * (1 - rng.uniform(0, 0.02, n))
    if rng.random() < 0.3:  # flat stretches: equal closes, zero ranges
        close[n // 3 : n // 2] = close[n // 3]
    volume = rng.lognormal(10, 1, n).round()
    return daily_bars(close, open_=open_, high=high, low=low, volume=volume)


def _equivalent(rule_type: str, entry: str, exit_: str, params: dict | None):
    rule_type, builtin = validate_rule(rule_type, params)
    return builtin, validate_rule("EXPR", expr_params(rule_type, entry, exit_, builtin))[1]


@pytest.mark.parametrize(("rule_type", "entry", "exit_"), BUILTINS, ids=[b[0] for b in BUILTINS])
def test_each_builtin_rule_as_an_expression_gives_its_signals_bit_for_bit(
    goog, rule_type, entry, exit_
):
    """On GOOG with the defaults and on 200 random series with random valid params, the
    expression's (entries, exits) equal the built-in rule's, and so do the warm-ups."""
    builtin, expr = _equivalent(rule_type, entry, exit_, None)
    for got, want in zip(
        generate_signals("EXPR", expr, goog),
        generate_signals(rule_type, builtin, goog),
        strict=True,
    ):
        assert np.array_equal(got, want)
    assert warmup("EXPR", expr) == warmup(rule_type, builtin)
    rng = np.random.default_rng(25)
    samples = _random_params(rule_type, rng)
    for i in range(200):
        bars = _random_bars(rng, int(rng.integers(30, 400)))
        builtin, expr = _equivalent(rule_type, entry, exit_, samples[i % len(samples)])
        for got, want in zip(
            generate_signals("EXPR", expr, bars),
            generate_signals(rule_type, builtin, bars),
            strict=True,
        ):
            assert np.array_equal(got, want), (i, builtin)


def _random_params(rule_type: str, rng: np.random.Generator) -> list[dict | None]:
    """Valid parameter sets of a built-in rule: the defaults and short periods."""
    out: list[dict | None] = [None]
    if rule_type == "COMPOSITE":
        return out
    from rules import RULES

    spec = RULES[rule_type]
    while len(out) < 8:
        params = {}
        for p in spec.params:
            if p.type == "int":
                params[p.name] = int(rng.integers(p.min, min(p.max, 40) + 1))
            else:
                params[p.name] = float(np.round(rng.uniform(p.min, p.max), 2))
        try:
            validate_rule(rule_type, params)
        except RuleValidationError:
            continue
        out.append(params)
    return out


NO_LOOK_AHEAD = [
    "crossover(sma(close, 5), ema(close, 9)) or rsi(close, 3) < 30",
    "macd_hist(close, 3, 8, 4) > 0 and bb_upper(close, 6, 1.5) > high or macd(close, 2, 5) > 1",
    "bb_lower(close, 6, 2) < low or bb_mid(close, 4) > close",
    "zscore(close, 7) < -1 or stdev(close, 4) > 1 or roc(close, 3) > 2",
    "highest(high, 5) > lag(highest(high, 5), 1) and lowest(low, 3) < close",
    "atr(4) > 1 or adx(3) > 20 or plus_di(3) > minus_di(3)",
    "obv() > lag(obv(), 2) and vwap() < close and vwap(5) > open",
    "stoch_k(5) < 20 or stoch_d(5, 3) > 80",
    "abs(close - open) > 1 and log(volume) > 9 and max(open, close) > min(high, 12)",
    "sqrt(abs(close - open)) > 0.5",
    "crossunder(close, macd_signal(close, 3, 6, 2)) or not (close / open > 1.01)",
    "-close < -100 and lag(close > open, 3) or close != lag(close, 1)",
]


def test_the_function_table_is_covered_by_the_look_ahead_texts():
    """Every function of the language on the run's own bars appears in the no-look-ahead
    property below (ref and tf in tests/rules/test_rules_expr_other_bars.py)."""
    used = " ".join(NO_LOOK_AHEAD)
    own = [name for name in FUNCTIONS if name not in OTHER_BARS]
    assert [name for name in own if f"{name}(" not in used] == []


@pytest.mark.parametrize("text", NO_LOOK_AHEAD)
def test_a_signal_on_bar_t_does_not_move_when_later_bars_change(text):
    """Signals up to t are the same whatever the bars after t hold."""
    rng = np.random.default_rng(11)
    _, params = validate_rule("EXPR", {"entry": text, "exit": text})
    for _ in range(20):
        bars = _random_bars(rng, 120)
        t = int(rng.integers(1, 119))
        other = _random_bars(rng, 120)
        changed = Bars(
            bars.timestamps,
            *(
                np.concatenate([getattr(bars, f)[: t + 1], getattr(other, f)[t + 1 :]])
                for f in ("open", "high", "low", "close", "volume")
            ),
        )
        before = generate_signals("EXPR", params, bars)[0][: t + 1]
        after = generate_signals("EXPR", params, changed)[0][: t + 1]
        assert np.array_equal(before, after), t


def test_the_issue_example_validates_with_bounds_and_sweeps_over_n(goog):
    """The example of issue 25 checks, and a batch over n equals single runs row by row."""
    example = {name: value for name, value in ISSUE_EXAMPLE.items() if name != "n"}
    rows = [validate_rule("EXPR", {**example, "n": n})[1] for n in range(2, 12)]
    assert rows[0]["bounds"] == {"n": [2, 50], "low": [-1e12, 1e12], "high": [-1e12, 1e12]}
    entries, exits = generate_signals_batch("EXPR", rows, goog, validated=True)
    for i, row in enumerate(rows):
        single = generate_signals("EXPR", row, goog)
        assert np.array_equal(entries[i], single[0]) and np.array_equal(exits[i], single[1])
    assert entries.any() and exits.any()


REFUSED = [
    ({"entry": "clse > 1"}, "params.entry", "column 1: unknown name 'clse' (did you mean close?)"),
    ({"exit": "smaa(close, 3) > 1"}, "params.exit", "unknown function 'smaa' (did you mean sma?)"),
    ({"entry": "close > sma(close)"}, "params.entry", "column 9: sma takes 2 arguments"),
    ({"entry": "close > > 1"}, "params.entry", "column 9: unexpected '>'"),
    ({"entry": "close > sma(close, 2"}, "params.entry", "ends too early"),
    ({"entry": "сlose > 1"}, "params.entry", "U+0441 CYRILLIC SMALL LETTER ES"),
    ({"entry": "close.__class__ > 1"}, "params.entry", "no attribute access"),
    ({"entry": "__import__('os') > 1"}, "params.entry", "unknown function '__import__'"),
    ({"entry": "__class__ > 1"}, "params.entry", "unknown name '__class__'"),
    ({"entry": "sma(close, 1000000) > 1"}, "params.entry", "from 1 to 2,000 (got 1e+06)"),
    ({"entry": "close > 1e999"}, "params.entry", "beyond 1e+12"),
    ({"entry": "-" * 40 + "close > 1"}, "params.entry", "nests deeper than 30"),
    ({"entry": "close"}, "params.entry", "is a series, not a condition"),
    ({"entry": "close > 1 and 2"}, "params.entry", "'and' joins conditions, not a number"),
    ({"entry": "lag(close, -1) > 1"}, "params.entry", "from 0 to 2,000 or a $parameter"),
    ({"entry": "close > " + "1+" * 1200 + "1"}, "params.entry", "2,409 characters long"),
    ({"entry": "close > $entry"}, "params.entry", "$entry is reserved"),
    ({"entry": "macd(close, 9, 3) > 0"}, "params.entry", "fast (9) must be less than slow (3)"),
    ({"entry": 5}, "params.entry", "must be a string"),
    ({"entry": "sma(close, $n) > 1"}, "params.n", "params.n is required"),
    ({"entry": "sma(close, $n) > 1", "n": 2.5}, "params.n", "must be an integer"),
    ({"entry": "sma(close, $n) > 1", "n": 0}, "params.n", "between 1 and 2000 (got 0)"),
    ({"entry": "sma(close, $n) > 1", "n": 60, "bounds": {"n": [2, 50]}}, "params.n", "got 60"),
    ({"entry": "sma(close, $n) > 1", "n": 3, "bounds": {"m": [2, 50]}}, "params.bounds.m", "$n"),
    ({"entry": "sma(close, $n) > 1", "n": 3, "bounds": {"n": [0, 5]}}, "params.bounds.n", "from 1"),
    ({"entry": "close > $low", "low": 1, "lwo": 2}, "params.lwo", "did you mean low?"),
    ({"entry": "close > $low", "low": float("nan")}, "params.low", "finite"),
    (
        {"entry": "macd(close, $f, $s) > 0", "f": 30, "s": 26},
        "params.f",
        "(30) must be less than s (26)",
    ),
]


@pytest.mark.parametrize(("params", "field", "words"), REFUSED)
def test_a_bad_expression_is_refused_naming_its_field_and_position(params, field, words):
    """Each refusal is a RuleValidationError on the culprit field, quickly."""
    body = {"entry": "close > 1", "exit": "close < 1", **params}
    started = time.perf_counter()
    with pytest.raises(RuleValidationError) as caught:
        validate_rule("EXPR", body)
    assert time.perf_counter() - started < 0.2
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.message.startswith(field)


def test_expr_cannot_be_a_composite_sub_rule():
    """A COMPOSITE holding an EXPR is refused at the sub-rule's rule_type (its texts would
    otherwise skip the language's checks)."""
    sub = {"rule_type": "EXPR", "params": {"entry": "close > 1", "exit": "close < 1"}}
    with pytest.raises(RuleValidationError) as caught:
        validate_rule("COMPOSITE", {"operator": "AND", "rules": [sub, sub]})
    assert caught.value.field == "params.rules[0].rule_type"
    assert "cannot be a sub-rule" in caught.value.message


def test_the_slug_of_an_expression_is_an_id_of_its_texts_and_values():
    """Different texts give different slugs of [a-z0-9.-] only; values are appended."""
    from rules import rule_slug

    a = rule_slug("EXPR", {"entry": "close > $x", "exit": "close < 1", "x": -2.5})
    b = rule_slug("EXPR", {"entry": "close >= $x", "exit": "close < 1", "x": -2.5})
    assert a != b and a.endswith("-m2.5") and a.startswith("expr-")
    assert set(a) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")


def test_docs_list_every_builtin_expression_and_every_function():
    """docs/rules.md holds each built-in rule's expression and a row per function."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "rules.md").read_text()
    for rule_type, entry, exit_ in BUILTINS:
        assert f"| {rule_type} | `{entry}` | `{exit_}` |" in text
    assert [name for name in FUNCTIONS if f"`{name}(" not in text] == []


def test_a_batch_computes_each_distinct_indicator_once_per_value_set(goog):
    """A 10 × 10 sweep of an SMA cross caches 10 + 10 SMAs, and a MACD read by the entry
    and the exit (twice each) is one line per distinct (fast, slow) pair."""
    texts = {
        "entry": "crossover(sma(close, $fast), sma(close, $slow))",
        "exit": "crossunder(sma(close, $fast), sma(close, $slow))",
    }
    rows = [{**texts, "fast": f, "slow": 20 + s} for f in range(2, 12) for s in range(10)]
    cache: dict = {}
    generate_signals_batch("EXPR", rows, goog, cache)
    computed = [key[1].function for key in cache if isinstance(key, tuple) and key[0] == "expr"]
    assert sorted(computed) == ["sma"] * 20
    texts = {
        "entry": "crossover(macd(close, $f, $s), macd_signal(close, $f, $s, $g))",
        "exit": "crossunder(macd(close, $f, $s), macd_signal(close, $f, $s, $g))",
    }
    rows = [{**texts, "f": 12, "s": s, "g": g} for s in (26, 30) for g in (5, 9, 12)]
    cache = {}
    generate_signals_batch("EXPR", rows, goog, cache)
    computed = [key[1].function for key in cache if isinstance(key, tuple) and key[0] == "expr"]
    assert sorted(computed) == ["ema"] * 6 + ["macd"] * 2


def test_overlays_and_panels_are_derived_from_the_texts(goog):
    """Price-scale indicators of prices go over the candles, oscillators into panels with
    the numbers they are compared with as levels; labels show $names at their values."""
    from rules import RULES, bollinger, rsi, sma

    _, params = validate_rule(
        "EXPR",
        {
            "entry": "close > bb_upper(close, 20, $k) and rsi(close, $n) < $low",
            "exit": "rsi(close, $n) > 90 or macd_hist(close, 12, 26, 9) < 0 or sma(volume, 5) > 1",
            "n": 2,
            "low": 10,
            "k": 2,
        },
    )
    lines = RULES["EXPR"].overlays(goog, params)
    assert list(lines) == ["bb_upper(close, 20, 2)"]  # sma(volume, 5) is not on the price
    assert np.array_equal(lines["bb_upper(close, 20, 2)"], bollinger(goog.close, 20, 2)[1], True)
    panels = {panel.key: panel for panel in RULES["EXPR"].panels(goog, params)}
    assert list(panels) == ["rsi", "macd"]
    assert np.array_equal(panels["rsi"].series["rsi(close, 2)"], rsi(goog.close, 2), True)
    assert panels["rsi"].levels == (10.0, 90.0) and panels["rsi"].bounds == (0, 100)
    assert panels["macd"].histograms == ("macd_hist(close, 12, 26, 9)",)
    assert not np.array_equal(lines["bb_upper(close, 20, 2)"], sma(goog.close, 20), True)


def test_the_evaluator_reads_only_the_five_bar_series_even_from_an_unchecked_tree():
    """Defence in depth: a Column node naming anything but open/high/low/close/volume (which
    the checker refuses first) is a KeyError in the evaluator, never an attribute look-up."""
    from rules.expr.evaluate import evaluate_series
    from rules.expr.tree import Column

    bars = daily_bars(np.linspace(10.0, 20.0, 50))
    assert evaluate_series(Column("close", pos=(1, 1)), bars, {}, {}).tolist() == (
        bars.close.tolist()
    )
    for name in ("__class__", "timestamps", "__dict__"):
        with pytest.raises(KeyError):
            evaluate_series(Column(name, pos=(1, 1)), bars, {}, {})


def test_a_node_hashes_once_and_pickles_without_its_hash():
    """Equal trees hash alike, a node's hash is kept after its first (the evaluator's memo
    tables look it up many times), and a pickle carries the fields only: a string's hash
    differs from one process to the next, so a copy hashes again where it is read."""
    import pickle

    from rules.expr.tree import Binary, Call, Column, Number, Param

    def tree():
        return Binary(">", Call("sma", (Column("close"), Param("n"))), Number(1.5), pos=(1, 3))

    first, second = tree(), tree()
    assert first == second and hash(first) == hash(second)
    assert first.__dict__["_hash"] == hash(first)
    copy = pickle.loads(pickle.dumps(first))
    assert "_hash" not in copy.__dict__ and copy == first and hash(copy) == hash(first)
    assert Param("close") != Column("close")  # a name is a parameter or a bar series
    assert len({first, second, copy, Binary("<", first.left, first.right)}) == 2
