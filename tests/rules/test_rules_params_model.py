"""rules.params_model: the pydantic models generated from the registry's ParamSpecs."""

from __future__ import annotations

from rules import RULES
from rules._validate import models_for
from rules.params_model import _json_default as _json


def test_every_rule_gets_a_params_model_with_its_specs():
    """One model per rule, each parameter optional with its registry default, bounded and
    typed as its spec says."""
    models = models_for(RULES)
    assert set(models.params) == set(RULES)
    for rule_type, spec in RULES.items():
        schema = models.params[rule_type].model_json_schema()
        assert "required" not in schema
        for param in spec.params:
            described = schema["properties"][param.name]
            assert described["default"] == _json(param.default)
            if param.type in ("int", "float"):
                assert described["type"] == {"int": "integer", "float": "number"}[param.type]
                assert (described["minimum"], described["maximum"]) == (param.min, param.max)


def test_sub_rules_exclude_rules_that_hold_sub_rules():
    """COMPOSITE's sub-rule union offers every rule but COMPOSITE itself and
    EXPR (which checks its own params)."""
    schema = models_for(RULES).params["COMPOSITE"].model_json_schema()
    rules = schema["properties"]["rules"]
    assert (rules["minItems"], rules["maxItems"]) == (2, 5)
    variants = [ref["$ref"].rsplit("/", 1)[1] for ref in rules["items"]["oneOf"]]
    consts = {schema["$defs"][v]["properties"]["rule_type"]["const"] for v in variants}
    assert consts == set(RULES) - {"COMPOSITE", "EXPR"}


def test_models_are_built_once_per_registry():
    """The generated models are cached for the registry mapping."""
    assert models_for(RULES) is models_for(RULES)


def test_a_valid_request_builds_only_its_own_rules_model():
    """A process that checks one RSI request pays for RSI's model, not every rule's: the
    full models (needed for error messages) are not built on the success path."""
    from rules import RULES, _validate

    _validate._MODELS.clear()
    _validate._SINGLE.clear()
    params = {**RULES["RSI"].defaults(), "period": 10}
    assert _validate.validate(RULES, "rsi", params) == ("RSI", params)
    assert list(_validate._SINGLE) == [(id(RULES), "RSI")]
    assert _validate._MODELS == {}


def test_the_fast_path_and_the_full_models_agree_on_every_rules_defaults():
    from rules import RULES, _validate

    for name in RULES:
        fast = _validate._fast(RULES, name.lower(), None)
        models = _validate.models_for(RULES)
        full = models.request.validate_python({"rule_type": name, "params": None})
        if fast is not None:
            assert fast == (full.rule_type, _validate.plain_params(models, name, full.params))
