"""The position series of the strategy language (bars_held, entry_price, open_return,
max_open_return): only in an exit condition and element-wise; anywhere else a refusal
naming the field, quickly; their $names are parameters like any other; the exit splits into
position-free parts and an element-wise rest (docs/execution.md, "Position-aware exits")."""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine import Bars
from rules import RULES, position_exits, validate_rule
from rules.entry_prices import check_prices
from rules.expr import compile_program
from rules.expr.check import POSITION_NAMES
from rules.expr.parse import parse
from rules.expr.position import leaves
from rules.expr.reference import POSITION_SERIES, reference
from rules.ranking import check_ranking
from rules.spec import RuleValidationError

REFUSED = [
    ({"entry": "bars_held < 3"}, "params.entry", "only an exit condition may use it"),
    ({"entry": "close > entry_price"}, "params.entry", "entry_price is a series of the open"),
    ({"exit": "sma(open_return, 5) > 1"}, "params.exit", "cannot be read by sma"),
    ({"exit": "lag(bars_held, 1) > 1"}, "params.exit", "cannot be read by lag"),
    ({"exit": "crossover(open_return, 5)"}, "params.exit", "cannot be read by crossover"),
    ({"exit": "bb_upper(close, 20, bars_held) > 1"}, "params.exit", "cannot be read by bb_upper"),
    ({"exit": 'tf("1w", max_open_return) > 1'}, "params.exit", "cannot be read by tf"),
    ({"exit": 'ref("DEMOIX", bars_held) > 1'}, "params.exit", "cannot be read by ref"),
    ({"exit": "rsi(abs(open_return), 14) > 1"}, "params.exit", "cannot be read by rsi"),
    ({"exit": "bars_held"}, "params.exit", "not a condition"),
    ({"exit": "bars_held(3) > 1"}, "params.exit", "unknown function"),
    ({"exit": "bars_hel >= 3"}, "params.exit", "did you mean bars_held?"),
    ({"exit": "bars_held >= $entry"}, "params.exit", "$entry is reserved"),
]


@pytest.mark.parametrize(("params", "field", "words"), REFUSED)
def test_a_position_series_out_of_place_is_refused_naming_its_field(params, field, words):
    body = {"entry": "close > 1", "exit": "close < 1", **params}
    started = time.perf_counter()
    with pytest.raises(RuleValidationError) as caught:
        validate_rule("EXPR", body)
    assert time.perf_counter() - started < 0.2
    assert caught.value.field == field
    assert words in caught.value.message, caught.value.message


ACCEPTED = [
    "bars_held >= 10",
    "open_return >= 5 or open_return <= -3",
    "max_open_return >= 4 and close <= entry_price",
    "max_open_return - open_return >= 2",
    "abs(open_return) > 10",
    "min(open_return, max_open_return) > log(entry_price)",
    "not (bars_held < 5) and crossunder(sma(close, 10), sma(close, 20))",
    "close >= entry_price + 2 * atr(14)",
    "-open_return > 5",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_the_position_series_are_accepted_element_wise_in_an_exit(text):
    _, params = validate_rule("EXPR", {"entry": "close > 1", "exit": text})
    assert compile_program(params["entry"], params["exit"]).position_exit


def test_their_names_are_parameters_a_sweep_grids():
    """The $names of a position exit are ParamSpecs like any other."""
    exit_ = "bars_held >= $n or open_return > $k"
    spec = RULES["EXPR"].resolve({"entry": "close > 1", "exit": exit_})
    names = [p.name for p in spec.params]
    assert names[-2:] == ["n", "k"]
    _, params = validate_rule(
        "EXPR", {"entry": "close > 1", "exit": "bars_held >= $n", "bounds": {"n": [1, 30]}, "n": 5}
    )
    assert params["n"] == 5.0


def test_entry_order_prices_and_portfolio_scores_refuse_them_naming_their_field():
    with pytest.raises(RuleValidationError) as caught:
        check_prices("limit", {"limit": "entry_price * 0.99"}, None)
    assert caught.value.field == "entry_order.limit"
    assert "only an exit condition" in caught.value.message
    for score, filter_text, field in (
        ("open_return", None, "allocation.score"),
        ("roc(close, 20)", "bars_held > 3", "allocation.filter"),
    ):
        with pytest.raises(RuleValidationError) as caught:
            check_ranking(score, filter_text, None)
        assert caught.value.field == field


HOSTILE = [
    "bars_held > " + " + ".join(["bars_held"] * 150),
    "abs(" * 28 + "open_return" + ")" * 28 + " > 1",
    "sma(" * 300 + "bars_held" + ", 2)" * 300 + " > 1",
    "(" * 5000 + "max_open_return" + ")" * 5000 + " > 1",
    "bars_held > 1 and " * 120 + "close > 1",
    "entry_price.__class__ > 1",
    "bars_held" + "_" * 40 + " > 1",
    "__import__('os').system('true') or bars_held > 1",
    "open_return > 1e308 * 1e308",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_texts_with_position_names_are_refused_in_under_200_ms(text):
    for side in ("entry", "exit"):
        body = {"entry": "close > 1", "exit": "close < 1", side: text}
        started = time.perf_counter()
        try:
            validate_rule("EXPR", body)
        except RuleValidationError as exc:
            assert exc.field == f"params.{side}"
        else:
            assert side == "exit"  # accepted: a text that is valid as an exit
        assert time.perf_counter() - started < 0.2


def test_the_exit_splits_into_position_free_parts_and_an_element_wise_rest():
    program = compile_program(
        "close > 1", "crossunder(sma(close, 10), sma(close, 20)) or bars_held >= $n * 2"
    )
    parts = leaves(program.exit)
    assert parts == [parse("crossunder(sma(close, 10), sma(close, 20))"), parse("$n * 2")]
    plain = compile_program("close > 1", "close < 1")
    assert leaves(plain.exit) == [plain.exit] and not plain.position_exit


def test_the_reference_lists_the_position_series():
    assert tuple(POSITION_SERIES) == POSITION_NAMES
    listed = [entry["name"] for entry in reference()["position_series"]["names"]]
    assert listed == list(POSITION_NAMES)
    assert [entry["name"] for entry in reference()["size_series"]["names"]] == ["equity"]


def _held_exit(text: str, closes: list[float], first: int, price: float):
    """The exit ``text`` of a long filled at ``first`` for ``price`` over bars closing at
    ``closes`` (the language path a run takes)."""
    close = np.array(closes)
    bars = Bars(np.arange(len(close)).astype("datetime64[D]"), close, close, close, close,
                np.ones(len(close)))  # fmt: skip
    _, checked = validate_rule("EXPR", {"entry": "close > 1", "exit": text})
    (exit_of,) = position_exits("EXPR", [checked], bars, slice(0, len(close)), {})
    return exit_of(1.0, first, price)


def test_a_repriced_long_keeps_its_best_return_and_reads_the_new_price_after():
    """A long at 10 (a scaled long whose average entry moves, engine._scaling): repriced at
    12 on bar 2 its best stays 10 % (bar 1), so ``max_open_return >= 15`` does not hold
    where 12 / 10 would give 20 %; repriced at 9 on bar 4, 13 / 9 does; ``bars_held`` still
    counts from the first fill."""
    closes = [10.0, 11.0, 12.0, 9.0, 13.0, 13.0]
    assert _held_exit("max_open_return >= 15", closes, 0, 10.0)(2)
    held = _held_exit("max_open_return >= 15", closes, 0, 10.0)
    assert [held(t) for t in (0, 1)] == [False, False]
    held.reprice(2, 12.0)
    assert [held(t) for t in (2, 3)] == [False, False]
    held.reprice(4, 9.0)
    assert [held(t) for t in (4, 5)] == [True, True]
    bars_held = _held_exit("bars_held >= 3 and entry_price > 11", closes, 0, 10.0)
    assert not bars_held(1)
    bars_held.reprice(2, 12.0)
    assert [bars_held(t) for t in (2, 3)] == [False, True]


def test_a_parameter_compared_with_bars_held_is_a_whole_count_of_bars():
    """``$hold`` compared with ``bars_held`` (either side) is an int parameter of the
    resolved spec, so sweeps and studies search integers; in arithmetic, or with declared
    fractional bounds, it stays a float. A run still takes a fraction for it (as when it
    was a plain number) and keeps a whole value an int."""
    from rules.library.expr import check, resolve

    def kind(exit_: str, bounds: dict | None = None) -> str:
        spec = resolve({"entry": "close > 1", "exit": exit_, "bounds": bounds or {}})
        return spec.param("hold").type

    assert kind("bars_held >= $hold") == "int"
    assert kind("$hold < bars_held or open_return > 5") == "int"
    assert kind("bars_held >= 2 * $hold") == "float"
    assert kind("open_return >= $hold") == "float"
    assert kind("bars_held >= $hold", {"hold": [1.5, 9]}) == "float"
    given = {"entry": "close > 1", "exit": "bars_held >= $hold"}
    assert check({**given, "hold": 5})["hold"] == 5
    assert type(check({**given, "hold": 5})["hold"]) is int
    assert check({**given, "hold": 2.07})["hold"] == 2.07
