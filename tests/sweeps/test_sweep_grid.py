"""kinds.sweeps.grid: grid values and ranges checked against the registry, constraint-breaking
combinations skipped and counted, the combination limit."""

from __future__ import annotations

import itertools
import time

import pytest

from kinds.runs.contract import RequestError
from kinds.sweeps.grid import MAX_COMBOS, expand_grid
from rules import RULES

SMA = RULES["SMA_CROSS"]
SMA_BASE = SMA.defaults()


def _error(spec, grid, base=None, n_tickers=1) -> RequestError:
    with pytest.raises(RequestError) as caught:
        expand_grid(spec, grid, base or spec.defaults(), n_tickers)
    return caught.value


def test_a_range_includes_its_stop_and_lists_keep_their_order():
    """ "2:10:4" is 2, 6, 10; a list is taken as given."""
    grid = expand_grid(SMA, {"fast": "2:10:4", "slow": [40, 30]}, SMA_BASE)
    assert grid.values == {"fast": [2, 6, 10], "slow": [40, 30]}
    assert grid.combos == [(2, 40), (2, 30), (6, 40), (6, 30), (10, 40), (10, 30)]


def test_decimal_steps_give_the_values_as_typed():
    """0.1 steps do not accumulate binary rounding: 1.5:2.0:0.1 is 1.5, 1.6, ... 2.0."""
    grid = expand_grid(
        RULES["BOLLINGER"], {"std_dev": "1.5:2.0:0.1"}, RULES["BOLLINGER"].defaults()
    )
    assert grid.values["std_dev"] == [1.5, 1.6, 1.7, 1.8, 1.9, 2.0]


def test_combinations_breaking_a_constraint_are_skipped_and_counted():
    """fast < slow: of 5 × 5 windows 1..5 / 1..5 (shifted into range), the 15 with fast >=
    slow are skipped; per ticker, so two tickers skip 30."""
    values = list(range(10, 15))
    grid = expand_grid(SMA, {"fast": values, "slow": values}, SMA_BASE, n_tickers=2)
    expected = [(f, s) for f, s in itertools.product(values, values) if f < s]
    assert grid.combos == expected and len(expected) == 10
    assert grid.skipped == 2 * (25 - 10)


def test_a_constraint_is_checked_against_the_base_value_of_an_unswept_param():
    """Only fast swept, slow fixed at 20: fast 15..25 keeps 15..19."""
    grid = expand_grid(SMA, {"fast": "15:25:1"}, {**SMA_BASE, "slow": 20})
    assert [combo[0] for combo in grid.combos] == [15, 16, 17, 18, 19]
    assert grid.skipped == 6


def test_choice_values_are_matched_case_insensitively():
    """COMPOSITE's operator: "and", "Or" -> AND, OR."""
    composite = RULES["COMPOSITE"]
    grid = expand_grid(composite, {"operator": ["and", "Or"]}, composite.defaults())
    assert grid.values == {"operator": ["AND", "OR"]}


@pytest.mark.parametrize(
    ("grid", "field", "words"),
    [
        ({"fast": "2:10:0"}, "grid.fast", "step must be greater than 0"),
        ({"fast": "2:10:-1"}, "grid.fast", "step must be greater than 0"),
        ({"fast": "10:2:1"}, "grid.fast", "empty range"),
        ({"fast": "2:10"}, "grid.fast", "start:stop:step"),
        ({"fast": "2:10:1.5"}, "grid.fast", "must be integers"),
        ({"fast": "a:10:1"}, "grid.fast", "must be integers"),
        ({"fast": [10.0]}, "grid.fast", "must be integers"),
        ({"fast": [10.5]}, "grid.fast", "must be integers"),
        ({"fast": [True]}, "grid.fast", "must be numbers"),
        ({"fast": ["10"]}, "grid.fast", "must be numbers"),
        ({"fast": []}, "grid.fast", "at least one value"),
        ({"fast": [5, 5]}, "grid.fast", "twice"),
        ({"fast": [1]}, "grid.fast", "between 2 and 400"),
        ({"fast": "395:405:5"}, "grid.fast", "between 2 and 400"),
        ({"fastt": [5]}, "grid.fastt", "not a parameter of SMA_CROSS"),
        ({}, "grid", "must be an object"),
        ("fast=5", "grid", "must be an object"),
        ({"fast": [500], "slow": [501]}, "grid.fast", "between 2 and 400"),
    ],
)
def test_bad_grid_entries_are_refused_naming_the_entry(grid, field, words):
    """Each mistake is a RequestError whose field is the grid entry at fault."""
    error = _error(SMA, grid)
    assert error.field == field and words in error.message, error.message


def test_sub_rules_cannot_be_swept():
    """A COMPOSITE's rules list is not a sweepable value."""
    error = _error(RULES["COMPOSITE"], {"rules": [[]]})
    assert error.field == "grid.rules" and "cannot be swept" in error.message


def test_a_float_parameter_takes_integers_as_floats():
    """RSI's thresholds are ints, BOLLINGER's std_dev a float: 2 -> 2.0."""
    grid = expand_grid(RULES["BOLLINGER"], {"std_dev": [2, 2.5]}, RULES["BOLLINGER"].defaults())
    assert grid.values["std_dev"] == [2.0, 2.5]
    assert all(type(v) is float for v in grid.values["std_dev"])


def test_a_sweep_over_the_limit_is_refused_with_its_count():
    """fast 2..400 × slow 3..600 has 159,201 combinations with fast < slow: over 100,000."""
    error = _error(SMA, {"fast": "2:400:1", "slow": "3:600:1"})
    assert error.field == "grid" and "159,201" in error.message
    assert f"{MAX_COMBOS:,}" in error.message


def test_the_limit_counts_every_ticker():
    """fast 2..101 × slow 101..600 keeps 49,999 combos: fine on one ticker, 149,997 over
    three tickers is over the limit."""
    grid = {"fast": "2:101:1", "slow": "101:600:1"}
    assert len(expand_grid(SMA, grid, SMA_BASE).combos) == 100 * 500 - 1
    error = _error(SMA, grid, n_tickers=3)
    assert error.field == "grid" and "149,997" in error.message


def test_a_grid_too_large_to_enumerate_is_refused_before_expanding():
    """A range of a billion values is refused from its count alone, naming its entry."""
    error = _error(RULES["BOLLINGER"], {"std_dev": "0.1:5:0.000000001"})
    assert error.field == "grid.std_dev" and "more than 100,000 values" in error.message


def test_entries_whose_products_alone_are_too_large_are_refused_as_a_grid():
    """Each entry fits, their product does not: the grid as a whole is refused, uncounted."""
    error = _error(RULES["BOLLINGER"], {"period": "5:200:1", "std_dev": "0.1:5:0.0001"})
    assert error.field == "grid" and "combinations" in error.message


@pytest.mark.parametrize(
    ("rule", "entry", "value"),
    [
        ("RSI", "period", "2:9999999999999999999999999999999999:1"),  # a bound past Decimal's
        ("RSI", "oversold", "1:49:1e-30"),  # precision, and steps that
        ("RSI", "oversold", "1:49:1e-999999"),  # divide it out of range
        ("RSI", "oversold", "10:40:0.0001"),  # 300,001 values
        ("RSI", "oversold", list(range(1, 50)) * 3000),  # a list longer than any sweep
    ],
    ids=["huge-bound", "tiny-step", "tinier-step", "fine-step", "long-list"],
)
def test_an_entry_with_more_values_than_a_sweep_can_run_is_a_400_naming_it(rule, entry, value):
    """Hostile sizes are refused by their count, before any value is divided out, expanded
    or checked (they used to raise Decimal's DivisionImpossible: a 500)."""
    started = time.process_time()
    error = _error(RULES[rule], {entry: value})
    assert error.field == f"grid.{entry}" and "more than 100,000 values" in error.message
    assert time.process_time() - started < 0.2, "refused from its count, not by expanding it"


def test_a_range_checks_its_bounds_through_its_first_and_last_values():
    """Every value of a range lies between its first and last, which the registry checks."""
    error = _error(SMA, {"fast": "2:2000:1"})
    assert error.field == "grid.fast" and "between" in error.message
    grid = expand_grid(SMA, {"fast": "2:9:1"}, SMA_BASE)
    assert grid.values["fast"] == [2, 3, 4, 5, 6, 7, 8, 9]


def test_a_long_list_is_checked_in_one_call_and_names_its_first_bad_value():
    values = [*range(1, 40), "x", *range(41, 49)]
    error = _error(RULES["RSI"], {"oversold": values})
    assert error.field == "grid.oversold" and "numbers" in error.message


def test_no_combination_left_after_constraints_is_an_error():
    """fast always above slow: nothing to run."""
    error = _error(SMA, {"fast": [50, 60], "slow": [10, 20]})
    assert error.field == "grid" and "fast < slow" in error.message


def test_every_combination_is_exactly_what_the_registry_accepts():
    """The kept combos are those validate_rule accepts, skipped ones those it refuses."""
    from rules import RuleValidationError, validate_rule

    values = list(range(5, 40, 3))
    grid = expand_grid(SMA, {"fast": values, "slow": values}, SMA_BASE)
    accepted = []
    for fast, slow in itertools.product(values, values):
        try:
            validate_rule("SMA_CROSS", {"fast": fast, "slow": slow})
        except RuleValidationError:
            continue
        accepted.append((fast, slow))
    assert grid.combos == accepted
    assert grid.skipped == len(values) ** 2 - len(accepted)


def test_stops_are_swept_after_the_rule_parameters_and_kept_out_of_the_rule_params():
    """grid.stop_loss_pct "1:3:1" with a null (off) take-profit: the combos carry the stops
    last; ``params`` gives the rule's values only, ``trading`` the stops."""
    grid = expand_grid(
        SMA, {"take_profit_pct": [None, 10], "stop_loss_pct": "1:3:1", "fast": [5]}, SMA_BASE
    )
    assert grid.names == ("fast", "stop_loss_pct", "take_profit_pct")
    assert grid.values["stop_loss_pct"] == [1.0, 2.0, 3.0]
    assert len(grid.combos) == 6 and grid.combos[1] == (5, 1.0, 10.0)
    assert grid.params(SMA_BASE, grid.combos[1]) == {**SMA_BASE, "fast": 5}
    assert grid.trading(grid.combos[1]) == {"stop_loss_pct": 1.0, "take_profit_pct": 10.0}


@pytest.mark.parametrize(
    ("grid", "field", "words"),
    [
        ({"stop_loss_pct": [5, 100]}, "grid.stop_loss_pct", "less than 100 (percent) (got 100)"),
        ({"stop_loss_pct": "0:10:5"}, "grid.stop_loss_pct", "greater than 0"),
        ({"take_profit_pct": [-1]}, "grid.take_profit_pct", "greater than 0 (percent)"),
        ({"trailing_stop_pct": ["3"]}, "grid.trailing_stop_pct", "must be numbers"),
        ({"trailing_stop_pct": [None, None]}, "grid.trailing_stop_pct", "null twice"),
        ({"trailing_stop_pct": []}, "grid.trailing_stop_pct", "at least one value"),
        ({"stop_pct": [1]}, "grid.stop_pct", "nor a stop"),
    ],
)
def test_bad_stop_grid_entries_are_refused_naming_the_entry(grid, field, words):
    error = _error(SMA, grid)
    assert error.field == field and words in error.message, error.message
