"""The run request's cost fields (``fee_fixed``, ``fee_per_share``, ``fee_min``, ``fee_max``,
``borrow_rate``) and ``close_open_trades_at_end`` through ``POST /run_backtest``: hostile
values (hypothesis) are refused with a 400 naming the field, never a 5xx; values in the
domain are accepted and stored as given, 0 and false left out like the defaults."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.param_specs import COST_SPECS, FEE_MAX_BELOW_MIN
from kinds.runs.contract import parse_request
from tests.web.support import valid_request

COSTS = {spec.name: spec for spec in COST_SPECS}
FLAG = "close_open_trades_at_end"

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 1e-300, 0.999999, 1, 1.0, 1e308, -1e-9]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _acceptable(name: str, value: object) -> bool:
    """Whether ``value`` is in ``name``'s domain as the API reads JSON (a number, not a
    bool; or null; the flag: true or false)."""
    if name == FLAG:
        return isinstance(value, bool)
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and COSTS[name].contains(float(value))


def _post(client, body: dict):
    return client.open(
        "/run_backtest",
        method="POST",
        data=json.dumps(body, allow_nan=True),
        content_type="application/json",
    )


def check_hostile_values(client, name: str, in_domain, **fixed) -> None:
    """Post ``VALUES`` as field ``name`` of a valid request (with ``fixed`` fields): never a
    5xx; 202 when ``in_domain(name, value)``, else a 400 whose ``field`` is ``name``."""

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(value=VALUES)
    def check(value):
        response = _post(client, valid_request(**fixed, **{name: value}))
        answer = response.get_json()
        assert response.status_code < 500, (value, answer)
        if in_domain(name, value):
            assert response.status_code == 202, (value, answer)
        else:
            assert response.status_code == 400, (value, answer)
            assert answer["field"] == name, (value, answer)

    check()


@pytest.mark.slow  # a few hundred requests
@pytest.mark.parametrize("name", [*COSTS, FLAG])
def test_a_hostile_cost_gets_a_400_naming_it_and_never_a_5xx(app, name):
    """Whatever value a cost field holds: a value outside its domain is a 400 whose
    ``field`` is that field; one inside is accepted (202)."""
    check_hostile_values(app.test_client(), name, _acceptable)


def test_a_maximum_below_the_minimum_is_refused_on_fee_max(client):
    """fee_max < fee_min is a 400 naming fee_max with the spec's message."""
    response = client.post("/run_backtest", json=valid_request(fee_min=2.0, fee_max=1.0))
    assert response.status_code == 400
    assert response.get_json()["field"] == "fee_max"
    assert FEE_MAX_BELOW_MIN in response.get_json()["error"]


def test_costs_are_stored_as_given_and_zero_costs_as_if_left_out():
    """A cost set is in the stored request and the engine's parameters; 0 (but fee_max)
    and a false flag are left out, so such a request is the one without them."""
    costs = {"fee_fixed": 1.5, "fee_per_share": 0.005, "fee_max": 0}
    request = parse_request(valid_request(**costs, fee_min=0, borrow_rate=0.03, **{FLAG: True}))
    stored = request.to_dict()
    assert {k: stored[k] for k in costs} == {**costs, "fee_max": 0.0}
    assert "fee_min" not in stored
    assert stored["borrow_rate"] == 0.03 and stored[FLAG] is True
    params = request.trading_params()
    assert (params.fee_fixed, params.borrow_rate, params.close_at_end) == (1.5, 0.03, True)
    plain = parse_request(valid_request()).to_dict()
    zeros = parse_request(
        valid_request(fee_fixed=0, fee_per_share=0.0, fee_min=0, borrow_rate=0, **{FLAG: False})
    ).to_dict()
    assert {k: v for k, v in zeros.items() if k != "run_id"} == {
        k: v for k, v in plain.items() if k != "run_id"
    }
    assert not set(stored) - set(plain) - {*COSTS, FLAG}
