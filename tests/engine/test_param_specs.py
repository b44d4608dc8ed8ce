"""The trading parameters' defaults, bounds and messages are stated once
(``engine.param_specs``): the engine's check (``TradingParams``), the run request's
validation (``kinds.runs.contract.parse_request``, what the API answers 400 with) and the run
form's hints all read the same spec objects, so a bound changed there is enforced by both
checks and a message changed there is what both say."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields

import pytest

from engine import EngineParamError, TradingParams
from engine.param_specs import REQUEST_NUMBERS, NumberSpec
from kinds.runs.contract import RunRequest, parse_request
from tests.docs.test_docs import ROOT
from web.pages.form_fields import TRADING_FIELDS
from work.errors import RequestError

BODY = {"ticker": "ACME", "rule_type": "RSI", "start_date": "2020-01-01", "end_date": "2020-12-31"}


def _api_error(name: str, value: float) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_request({**BODY, name: value})
    return caught.value


@pytest.mark.parametrize("spec", REQUEST_NUMBERS, ids=lambda spec: spec.name)
def test_a_value_outside_a_spec_gets_the_spec_s_own_message_from_the_engine_and_the_api(
    spec: NumberSpec,
):
    """Both paths reject the same value with the very string object the spec holds."""
    value = spec.outside()
    with pytest.raises(EngineParamError) as engine_error:
        TradingParams(**{spec.name: value})
    api_error = _api_error(spec.name, value)
    assert (engine_error.value.field, api_error.field) == (spec.name, spec.name)
    assert engine_error.value.message is spec.message
    assert api_error.message is spec.message


@pytest.mark.parametrize("spec", REQUEST_NUMBERS, ids=lambda spec: spec.name)
def test_every_default_comes_from_its_spec(spec: NumberSpec):
    """The engine's, the request contract's and the form's defaults are the spec's."""
    request = RunRequest(run_id="", ticker="", rule_type="", start_date="", end_date="")
    form = {field.name: field for field in TRADING_FIELDS}[spec.name]
    assert getattr(TradingParams(), spec.name) == spec.default
    assert getattr(request, spec.name) == spec.default
    assert form.default == spec.default
    assert {k: v for k, v in (("gt", form.gt), ("lt", form.lt)) if v is not None} == {
        k: v for k, v in spec.bounds().items() if k in ("gt", "lt")
    }


def test_the_request_numbers_are_the_engine_s_numeric_request_fields():
    """Every numeric trading field of a request has a spec (none is checked on its own)."""
    numeric = {f.name for f in fields(TradingParams)} & {f.name for f in fields(RunRequest)}
    numeric -= {"size_type", "direction", "exit_priority"}  # a choice and a switch
    numeric -= {"slippage_model", "spread_model"}  # choices
    assert {spec.name for spec in REQUEST_NUMBERS} == numeric


_TIGHTER = """
import dataclasses, importlib, json
import engine.param_specs as specs
tight = dataclasses.replace(
    specs.SLIPPAGE_BPS, le=10, message="must be between 0 and 10 basis points"
)
specs.SLIPPAGE_BPS = tight
specs.REQUEST_NUMBERS = tuple(
    tight if s.name == "slippage_bps" else s for s in specs.REQUEST_NUMBERS
)
import engine, engine.params
importlib.reload(engine.params)
importlib.reload(engine)
from kinds.runs.contract import parse_request
from work.errors import RequestError
body = json.loads(%r)
out = {}
try:
    engine.TradingParams(slippage_bps=50)
    out["engine"] = None
except engine.EngineParamError as exc:
    out["engine"] = str(exc)
try:
    parse_request({**body, "slippage_bps": 50})
    out["api"] = None
except RequestError as exc:
    out["api"] = f"{exc.field}: {exc.message}"
print(json.dumps(out))
"""


def test_a_bound_changed_in_the_spec_is_enforced_by_the_engine_and_the_request_model():
    """Tighten ``slippage_bps`` to 10 in the spec alone (a fresh interpreter, so nothing
    else sees it): both the engine and the API refuse 50 with the new message."""
    done = subprocess.run(
        [sys.executable, "-c", _TIGHTER % json.dumps(BODY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    expected = "slippage_bps: must be between 0 and 10 basis points"
    assert json.loads(done.stdout) == {"engine": expected, "api": expected}
