"""rules._validate: the helpers behind validate_rule (names, numbers, constraints)."""

from __future__ import annotations

import pytest

from rules._validate import canonical_rule_type, format_number, parse_constraint, validate
from rules.registry import RULES
from rules.spec import RuleValidationError


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("sma-cross", "SMA_CROSS"), (" Mean Reversion ", "MEAN_REVERSION"), ("RSI", "RSI")],
)
def test_canonical_rule_type(name, canonical):
    """Case, surrounding spaces, hyphens and inner spaces are normalised."""
    assert canonical_rule_type(name) == canonical


@pytest.mark.parametrize(
    ("value", "text"),
    [(30.0, "30"), (2.5, "2.5"), (1e-05, "0.00001"), (-2.0, "-2"), (14, "14"), (0.1, "0.1")],
)
def test_format_number_is_the_shortest_plain_decimal(value, text):
    """No exponent, no trailing .0, shortest round-trip digits."""
    assert format_number(value) == text


def test_format_number_does_not_spell_out_huge_integers():
    """A 400-digit integer is summarised instead of echoed."""
    assert format_number(10**400) == "a very large number"


def test_parse_constraint_accepts_only_simple_comparisons():
    """'a < b' and 'a <= b' parse; anything else is a programming error."""
    assert parse_constraint("fast < slow") == ("fast", "<", "slow")
    assert parse_constraint("x <= y") == ("x", "<=", "y")
    with pytest.raises(ValueError):
        parse_constraint("fast > slow")


def test_prefix_is_prepended_to_every_field():
    """Sub-rule validation reports paths under the given prefix."""
    with pytest.raises(RuleValidationError) as info:
        validate(RULES, "RSI", {"period": 1, "oversold": 30, "overbought": 70}, prefix="x[0].")
    assert info.value.field == "x[0].params.period"


def test_nested_rules_parameter_is_refused():
    """A rule holding sub-rules cannot itself be a sub-rule."""
    with pytest.raises(RuleValidationError, match="cannot be nested"):
        validate(RULES, "COMPOSITE", None, prefix="params.rules[0].", nested=True)
