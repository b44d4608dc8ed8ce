"""rules.spec: the registry's data types and the validation error."""

from __future__ import annotations

import pytest

from rules.spec import ParamSpec, RuleSpec, RuleValidationError


def _spec() -> RuleSpec:
    return RuleSpec(
        rule_type="DEMO",
        description="Demo rule.",
        params=(
            ParamSpec("period", "int", 14, 2, 200, "Lookback."),
            ParamSpec(
                "rules", "rules", ({"rule_type": "RSI", "params": {"period": 14}},), 2, 5, "Subs."
            ),
        ),
        constraints=(),
        signals=lambda bars, params: (None, None),
        overlays=None,
    )


def test_param_spec_rejects_an_unknown_type():
    """Only int, float, choice and rules exist."""
    with pytest.raises(ValueError, match="unknown type"):
        ParamSpec("x", "str", "a", None, None, "Text.")


def test_param_lookup_by_name():
    """RuleSpec.param finds a parameter and raises KeyError for others."""
    spec = _spec()
    assert spec.param("period").default == 14
    with pytest.raises(KeyError):
        spec.param("missing")


def test_defaults_are_deep_copies():
    """Changing the returned defaults never changes the spec."""
    spec = _spec()
    defaults = spec.defaults()
    defaults["rules"][0]["params"]["period"] = 99
    assert defaults["rules"] == [{"rule_type": "RSI", "params": {"period": 99}}]
    assert spec.defaults()["rules"][0]["params"]["period"] == 14


def test_validation_error_carries_field_and_message():
    """It is a ValueError whose str is the message, with the field kept apart."""
    error = RuleValidationError("params.period", "params.period must be between 2 and 200")
    assert isinstance(error, ValueError)
    assert (error.field, error.message, str(error)) == (
        "params.period",
        "params.period must be between 2 and 200",
        "params.period must be between 2 and 200",
    )
