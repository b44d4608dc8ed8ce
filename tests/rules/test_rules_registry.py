"""rules.registry: validation with exact fields, single and batch signals, slugs, descriptions."""

from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pytest

from engine import Bars
from rules import registry
from rules.registry import (
    RULES,
    RuleValidationError,
    describe_rules,
    generate_signals,
    generate_signals_batch,
    rule_slug,
    validate_rule,
)
from tests.bars import GOOG_CSV, daily_bars

RSI_OK = {"period": 14, "oversold": 30, "overbought": 70}
MACD_OK = {"fast": 12, "slow": 26, "signal": 9}


@pytest.fixture(scope="module")
def goog() -> Bars:
    """GOOG.csv as engine Bars."""
    with GOOG_CSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    stamps = np.array([row[""] for row in rows], dtype="datetime64[D]")
    fields = ("Open", "High", "Low", "Close", "Volume")
    return Bars(stamps, *(np.array([float(row[f]) for row in rows]) for f in fields))


def _composite(*subs: dict, operator: str = "AND") -> dict:
    return {"operator": operator, "rules": list(subs)}


# --- validate_rule ----------------------------------------------------------------------------


def test_none_params_give_every_default():
    """params None -> the spec defaults, floats as floats."""
    assert validate_rule("RSI", None) == (
        "RSI",
        {"period": 14, "oversold": 30.0, "overbought": 70.0},
    )


@pytest.mark.parametrize("name", ["rsi", " Sma-Cross ", "mean reversion", "sma_cross"])
def test_rule_type_is_matched_case_insensitively(name):
    """Case, spaces and hyphens are normalised to the canonical upper-case name."""
    assert validate_rule(name, None)[0] in RULES


def test_params_are_normalised_to_spec_types_and_order():
    """Ints stay int, ints for float params become float, keys follow the spec order."""
    _, params = validate_rule("RSI", {"overbought": 80, "oversold": 20.5, "period": 10})
    assert list(params) == ["period", "oversold", "overbought"]
    assert params == {"period": 10, "oversold": 20.5, "overbought": 80.0}
    assert type(params["period"]) is int and type(params["overbought"]) is float


def test_composite_is_normalised_recursively():
    """Sub-rule types are canonical, omitted sub-params take defaults, choices canonical case."""
    name, params = validate_rule(
        "composite",
        _composite({"rule_type": "rsi"}, {"rule_type": "MACD", "params": MACD_OK}, operator="or"),
    )
    assert name == "COMPOSITE"
    assert params == {
        "operator": "OR",
        "rules": [
            {"rule_type": "RSI", "params": {"period": 14, "oversold": 30.0, "overbought": 70.0}},
            {"rule_type": "MACD", "params": MACD_OK},
        ],
    }


def test_missing_params_take_their_defaults():
    """Partial params are completed with the registry defaults, and the normalised params
    name every value (a stored request shows what ran); an empty object is every default."""
    assert validate_rule("RSI", {"period": 10}) == (
        "RSI",
        {"period": 10, "oversold": 30.0, "overbought": 70.0},
    )
    assert validate_rule("RSI", {}) == validate_rule("RSI", None)
    assert validate_rule("MACD", {"slow": 40})[1] == {"fast": 12, "slow": 40, "signal": 9}


def test_missing_composite_params_take_their_defaults():
    """COMPOSITE's operator and sub-rules, and a sub-rule's own params, default alike."""
    _, params = validate_rule(
        "COMPOSITE", {"rules": [RSI_SUB, {"rule_type": "RSI", "params": {"period": 7}}]}
    )
    assert params["operator"] == "AND"
    assert params["rules"][1] == {
        "rule_type": "RSI",
        "params": {"period": 7, "oversold": 30.0, "overbought": 70.0},
    }
    assert (
        validate_rule("COMPOSITE", {"operator": "OR"})[1]["rules"]
        == (validate_rule("COMPOSITE", None)[1]["rules"])
    )


def test_defaults_still_meet_the_constraints_they_are_checked_against():
    """A filled default takes part in the rule's constraints: fast 30 against the default
    slow 26 is refused, naming the value sent."""
    with pytest.raises(RuleValidationError) as info:
        validate_rule("MACD", {"fast": 30})
    assert info.value.field == "params.fast"
    assert info.value.message == "params.fast (30) must be less than slow (26)"


def test_unknown_params_are_still_refused():
    """Defaults fill only the rule's own parameters: a name it does not have is a 400."""
    with pytest.raises(RuleValidationError) as info:
        validate_rule("RSI", {"perdo": 10})
    assert info.value.field == "params.perdo"


@pytest.mark.parametrize(
    ("rule_type", "params", "field", "hint"),
    [
        (None, None, "rule_type", "is required"),
        ("", None, "rule_type", "is required"),
        (7, None, "rule_type", "must be a string"),
        ("SMA", None, "rule_type", "did you mean SMA_CROSS?"),
        ("BOLINGER", None, "rule_type", "did you mean BOLLINGER?"),
        ("XYZZY", None, "rule_type", "one of RSI, MACD"),
        ("RSI", [14, 30, 70], "params", "must be an object, not a list"),
        ("RSI", "period=14", "params", "must be an object, not a string"),
        ("RSI", {**RSI_OK, "perod": 14}, "params.perod", "did you mean period?"),
        ("RSI", {**RSI_OK, "zzz": 1}, "params.zzz", "parameters: period, oversold, overbought"),
        ("RSI", {**RSI_OK, "period": "14"}, "params.period", "must be an integer, not a string"),
        ("RSI", {**RSI_OK, "period": True}, "params.period", "not a boolean"),
        ("RSI", {**RSI_OK, "period": 14.0}, "params.period", "must be an integer, not 14.0"),
        ("RSI", {**RSI_OK, "period": 14.5}, "params.period", "must be an integer"),
        ("RSI", {**RSI_OK, "period": None}, "params.period", "not null"),
        ("RSI", {**RSI_OK, "oversold": "30"}, "params.oversold", "must be a number, not a string"),
        ("RSI", {**RSI_OK, "oversold": False}, "params.oversold", "must be a number"),
        ("RSI", {**RSI_OK, "oversold": math.nan}, "params.oversold", "must be a finite number"),
        ("RSI", {**RSI_OK, "oversold": math.inf}, "params.oversold", "must be a finite number"),
        ("RSI", {**RSI_OK, "period": 1}, "params.period", "between 2 and 200 (got 1)"),
        ("RSI", {**RSI_OK, "period": 201}, "params.period", "between 2 and 200"),
        ("RSI", {**RSI_OK, "period": 10**400}, "params.period", "between 2 and 200"),
        ("RSI", {**RSI_OK, "overbought": 10**400}, "params.overbought", "between 1 and 99"),
        ("RSI", {**RSI_OK, "oversold": 0.5}, "params.oversold", "between 1 and 99 (got 0.5)"),
        (
            "RSI",
            {**RSI_OK, "oversold": 70},
            "params.oversold",
            "(70) must be less than overbought (70)",
        ),
        ("RSI", {**RSI_OK, "oversold": 80}, "params.oversold", "must be less than overbought"),
        ("MACD", {**MACD_OK, "fast": 26}, "params.fast", "(26) must be less than slow (26)"),
        ("MACD", {**MACD_OK, "fast": 30}, "params.fast", "must be less than slow"),
        ("SMA_CROSS", {"fast": 20, "slow": 10}, "params.fast", "must be less than slow (10)"),
        # only the right side moved from its default: it is the field the user sent
        (
            "RSI",
            {**RSI_OK, "overbought": 1},
            "params.overbought",
            "(1) must be greater than oversold (30)",
        ),
        ("SMA_CROSS", {"fast": 10, "slow": 5}, "params.slow", "(5) must be greater than fast (10)"),
        ("MACD", {**MACD_OK, "slow": 5}, "params.slow", "must be greater than fast (12)"),
        ("MACD", {**MACD_OK, "slow": 2}, "params.slow", "between 3 and 400"),
        (
            "MOMENTUM",
            {"period": 10, "entry_threshold": -1, "exit_threshold": 1},
            "params.exit_threshold",
            "must be at most entry_threshold (-1)",
        ),
        (
            "MEAN_REVERSION",
            {"period": 20, "entry_z": 0, "exit_z": 0},
            "params.entry_z",
            "must be less than exit_z",
        ),
        (
            "RSI_MACD",
            {"rsi_period": 14, "rsi_below": 80, "overbought": 70, **MACD_OK},
            "params.rsi_below",
            "must be at most overbought",
        ),
    ],
)
def test_bad_requests_name_the_exact_field(rule_type, params, field, hint):
    """Each invalid input raises RuleValidationError for the culprit field with a useful hint."""
    with pytest.raises(RuleValidationError) as info:
        validate_rule(rule_type, params)
    assert info.value.field == field
    assert info.value.message.startswith(field)
    assert hint in info.value.message


RSI_SUB = {"rule_type": "RSI", "params": RSI_OK}
MACD_SUB = {"rule_type": "MACD", "params": MACD_OK}


@pytest.mark.parametrize(
    ("params", "field", "hint"),
    [
        (_composite(RSI_SUB, MACD_SUB, operator="XOR"), "params.operator", "one of AND, OR"),
        (_composite(RSI_SUB, MACD_SUB, operator=1), "params.operator", "not a number"),
        ({"operator": "AND", "rules": RSI_SUB}, "params.rules", "must be a list of 2 to 5 rules"),
        (_composite(RSI_SUB), "params.rules", "must hold 2 to 5 rules (got 1)"),
        (_composite(*[RSI_SUB] * 6), "params.rules", "(got 6)"),
        (_composite(RSI_SUB, "MACD"), "params.rules[1]", "must be an object"),
        (_composite(RSI_SUB, {"params": MACD_OK}), "params.rules[1].rule_type", "is required"),
        (
            _composite(RSI_SUB, {"rule_type": "MAC"}),
            "params.rules[1].rule_type",
            "did you mean MACD",
        ),
        (
            _composite(RSI_SUB, {**MACD_SUB, "weight": 2}),
            "params.rules[1].weight",
            "is not allowed",
        ),
        (
            _composite({"rule_type": "RSI", "params": {**RSI_OK, "period": 1}}, MACD_SUB),
            "params.rules[0].params.period",
            "between 2 and 200",
        ),
        (
            _composite(RSI_SUB, {"rule_type": "MACD", "params": {**MACD_OK, "fast": 40}}),
            "params.rules[1].params.fast",
            "must be less than slow",
        ),
        (
            _composite(RSI_SUB, {"rule_type": "MACD", "params": [12, 26, 9]}),
            "params.rules[1].params",
            "must be an object",
        ),
        (
            _composite(RSI_SUB, {"rule_type": "composite", "params": None}),
            "params.rules[1].rule_type",
            "cannot be nested",
        ),
    ],
)
def test_composite_errors_point_inside_the_sub_rules(params, field, hint):
    """Errors inside COMPOSITE carry the full path, e.g. params.rules[1].params.fast."""
    with pytest.raises(RuleValidationError) as info:
        validate_rule("COMPOSITE", params)
    assert info.value.field == field
    assert hint in info.value.message


def test_long_user_input_is_cut_short_in_messages():
    """Echoed user text is truncated, so messages stay short."""
    with pytest.raises(RuleValidationError) as info:
        validate_rule("X" * 500, None)
    assert len(info.value.message) < 200


# --- generate_signals / generate_signals_batch -----------------------------------------------

EXPR_RSI = {
    "entry": "close > sma(close, 200) and rsi(close, $n) < $low",
    "exit": "rsi(close, $n) > $high or close < lag(lowest(low, 20), 1)",
}

SAMPLES = {
    "RSI": [
        RSI_OK,
        {"period": 2, "oversold": 10, "overbought": 90},
        {"period": 50, "oversold": 45, "overbought": 55},
    ],
    "MACD": [MACD_OK, {"fast": 2, "slow": 3, "signal": 2}, {"fast": 5, "slow": 40, "signal": 30}],
    "SMA_CROSS": [{"fast": 10, "slow": 20}, {"fast": 2, "slow": 3}, {"fast": 50, "slow": 200}],
    "RSI_MACD": [
        None,
        {"rsi_period": 3, "rsi_below": 40, "overbought": 60, "fast": 3, "slow": 10, "signal": 4},
    ],
    "BOLLINGER": [
        {"period": 20, "std_dev": 2},
        {"period": 5, "std_dev": 0.5},
        {"period": 60, "std_dev": 1.7},
    ],
    "MOMENTUM": [None, {"period": 1, "entry_threshold": 1.5, "exit_threshold": -2}],
    "MEAN_REVERSION": [None, {"period": 5, "entry_z": -1, "exit_z": 1.2}],
    "BREAKOUT": [None, {"entry_period": 2, "exit_period": 55}],
    "VOLUME": [
        None,
        {"volume_period": 5, "volume_factor": 1.2, "exit_period": 3},
        {"volume_period": 60, "volume_factor": 3.5, "exit_period": 100},
    ],
    "TREND": [None, {"period": 5, "adx_threshold": 40.5}, {"period": 30, "adx_threshold": 15}],
    "ATR": [None, {"period": 1, "multiplier": 0.5}, {"period": 50, "multiplier": 2.25}],
    "COMPOSITE": [
        None,
        _composite(RSI_SUB, {"rule_type": "BREAKOUT", "params": None}, operator="OR"),
        _composite(
            {"rule_type": "VOLUME", "params": None},
            {"rule_type": "TREND", "params": {"period": 10, "adx_threshold": 20}},
            {"rule_type": "ATR", "params": None},
            operator="OR",
        ),
        _composite(
            {"rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 30}},
            {"rule_type": "MEAN_REVERSION", "params": None},
            MACD_SUB,
            RSI_SUB,
            {"rule_type": "RSI", "params": {"period": 3, "oversold": 40, "overbought": 60}},
        ),
    ],
    "EXPR": [
        None,
        {**EXPR_RSI, "n": 2, "low": 10, "high": 90},
        {**EXPR_RSI, "n": 14, "low": 30, "high": 70},
        {**EXPR_RSI, "n": 2, "low": 30, "high": 90},
        {
            "entry": "crossover(ema(close, $f), bb_mid(close, $s))",
            "exit": "not lag(close > open, $f)",
            "f": 3,
            "s": 30,
        },
        {**EXPR_RSI, "n": 14, "low": 10, "high": 70},
    ],
}


def test_samples_cover_every_rule():
    """The batch-equality samples include every registered rule type."""
    assert set(SAMPLES) == set(RULES)


@pytest.mark.parametrize("rule_type", list(SAMPLES))
def test_batch_rows_equal_single_runs_bit_for_bit(goog, rule_type):
    """Row i of generate_signals_batch is exactly generate_signals(params_list[i]) on GOOG."""
    combos = SAMPLES[rule_type] * 2
    entries, exits = generate_signals_batch(rule_type, combos, goog)
    assert entries.shape == exits.shape == (len(combos), len(goog))
    assert entries.dtype == exits.dtype == np.bool_
    for row, params in enumerate(combos):
        single_entries, single_exits = generate_signals(rule_type, params, goog)
        assert single_entries.shape == (len(goog),) and single_entries.dtype == np.bool_
        assert np.array_equal(entries[row], single_entries)
        assert np.array_equal(exits[row], single_exits)
    assert entries.any() and exits.any()


def test_generate_signals_validates_first():
    """Bad parameters never reach a signal function."""
    with pytest.raises(RuleValidationError):
        generate_signals("SMA_CROSS", {"fast": 30, "slow": 20}, None)


def test_empty_batch_has_zero_rows(goog):
    """No parameter sets, (0, T) arrays."""
    entries, exits = generate_signals_batch("RSI", [], goog)
    assert entries.shape == exits.shape == (0, len(goog))


def test_cache_is_reused_across_chunks_and_reset_for_other_bars(goog):
    """A second chunk with the same windows computes nothing new; other bars empty the cache."""
    cache: dict = {}
    generate_signals_batch("SMA_CROSS", [{"fast": 5, "slow": 20}], goog, cache)
    first = {key: value for key, value in cache.items() if key != "bars"}
    generate_signals_batch(
        "SMA_CROSS", [{"fast": 20, "slow": 30}, {"fast": 5, "slow": 30}], goog, cache
    )
    assert all(cache[key] is value for key, value in first.items())
    assert len(cache) == len(first) + 2  # only SMA(30) added, plus the "bars" entry
    short = goog.slice(0, 100)
    entries, _ = generate_signals_batch("SMA_CROSS", [{"fast": 5, "slow": 20}], short, cache)
    assert cache["bars"] is short and entries.shape == (1, 100)
    assert all(len(value) == 100 for key, value in cache.items() if key != "bars")


@pytest.mark.parametrize(
    ("rule_type", "params", "slug"),
    [
        ("SMA_CROSS", {"fast": 10, "slow": 20}, "sma_cross-10-20"),
        ("RSI", RSI_OK, "rsi-14-30-70"),
        ("rsi", None, "rsi-14-30-70"),
        ("RSI", {"period": 14, "oversold": 30.0, "overbought": 70.5}, "rsi-14-30-70.5"),
        (
            "MEAN_REVERSION",
            {"period": 20, "entry_z": -2.5, "exit_z": 0},
            "mean_reversion-20-m2.5-0",
        ),
        ("BOLLINGER", {"period": 20, "std_dev": 0.1}, "bollinger-20-0.1"),
        ("COMPOSITE", _composite(RSI_SUB, MACD_SUB), "composite-and-rsi-14-30-70+macd-12-26-9"),
        ("COMPOSITE", None, "composite-and-macd-12-26-9+momentum-10-0-0"),
    ],
)
def test_rule_slug_is_deterministic_and_readable(rule_type, params, slug):
    """Lower-case type, then values in spec order; minus as m; composite sub-slugs joined by +."""
    assert rule_slug(rule_type, params) == slug


def test_every_default_slug_uses_only_the_safe_alphabet():
    """Slugs of every rule (defaults) match [a-z0-9._+-]+."""
    for rule_type in RULES:
        assert re.fullmatch(r"[a-z0-9._+-]+", rule_slug(rule_type, None))


def test_rule_slug_rejects_invalid_params():
    """A slug is only made for a valid request."""
    with pytest.raises(RuleValidationError):
        rule_slug("RSI", {"period": 1})


# --- describe_rules ---------------------------------------------------------------------------


def test_describe_rules_is_json_ready_and_complete():
    """Every rule, every parameter with its type, bounds, choices and help text."""
    described = json.loads(json.dumps(describe_rules()))
    assert [rule["rule_type"] for rule in described] == list(RULES)
    rsi = described[0]
    assert rsi["constraints"] == ["oversold < overbought"]
    assert rsi["params"][0] == {
        "name": "period",
        "type": "int",
        "default": 14,
        "min": 2,
        "max": 200,
        "choices": [],
        "description": RULES["RSI"].params[0].description,
    }
    composite = described[list(RULES).index("COMPOSITE")]
    assert composite["params"][0]["choices"] == ["AND", "OR"]
    assert composite["params"][1]["default"][0]["rule_type"] == "MACD"


def test_described_defaults_validate_as_a_full_request():
    """Sending every described default back is a valid request equal to params None."""
    for rule in describe_rules():
        params = {p["name"]: p["default"] for p in rule["params"]}
        assert validate_rule(rule["rule_type"], params) == validate_rule(rule["rule_type"], None)


def test_defaults_are_fresh_copies():
    """Mutating a returned default does not change the registry."""
    _, params = validate_rule("COMPOSITE", None)
    params["rules"][0]["params"]["fast"] = 99
    composite = list(RULES).index("COMPOSITE")
    describe_rules()[composite]["params"][1]["default"][0]["params"]["fast"] = 99
    assert validate_rule("COMPOSITE", None)[1]["rules"][0]["params"]["fast"] == 12


def test_every_rule_has_a_one_line_description_and_valid_constraints():
    """Descriptions are single lines; constraints name real parameters (checked at import)."""
    for spec in RULES.values():
        assert spec.description and "\n" not in spec.description
    registry._check_constraints()


@pytest.mark.parametrize("n_bars", [0, 1, 3])
def test_every_rule_handles_fewer_bars_than_its_warm_up(n_bars):
    """Too little data gives all-False signals and NaN overlays of the right shapes, no error."""
    bars = daily_bars(np.arange(1.0, n_bars + 1))
    for rule_type, spec in RULES.items():
        entries, exits = generate_signals(rule_type, None, bars)
        batch_entries, batch_exits = generate_signals_batch(rule_type, [None, None], bars)
        assert entries.shape == exits.shape == (n_bars,)
        assert batch_entries.shape == batch_exits.shape == (2, n_bars)
        assert not (entries.any() or exits.any() or batch_entries.any() or batch_exits.any())
        if spec.overlays is not None:
            lines = spec.overlays(bars, validate_rule(rule_type, None)[1])
            assert all(line.shape == (n_bars,) and np.isnan(line).all() for line in lines.values())


def test_a_rule_label_is_its_id_or_an_expressions_texts_cut_to_the_limit():
    """Built-in rules go by their id, EXPR by its texts and values; a label too long ends in
    "…"; a run without params keeps its id."""
    from rules.registry import LABEL_MAX_LENGTH, rule_label, validate_rule

    assert rule_label("SMA_CROSS", {"fast": 10, "slow": 20}, "sma_cross-10-20") == (
        "sma_cross-10-20"
    )
    _, expr = validate_rule(
        "EXPR", {"entry": "close > sma(close, $n)", "exit": "close < 1", "n": 5}
    )
    assert rule_label("EXPR", expr, "expr-x") == "close > sma(close, $n) → close < 1 [n=5]"
    _, long = validate_rule(
        "EXPR", {"entry": " and ".join(["close > open"] * 20), "exit": "close < open"}
    )
    label = rule_label("EXPR", long, "expr-y")
    assert len(label) == LABEL_MAX_LENGTH and label.endswith("…")
    assert rule_label("EXPR", None, "expr-z") == "expr-z"
