"""``entry_order`` through the API: a fuzzed order is accepted or refused with a 400 naming
its field, never a 5xx (docs/execution.md, "Entry orders")."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.support import valid_request

VALUES = st.one_of(
    st.sampled_from(["limit", "stop", "stop_limit", "on_close", "market", "?"]),
    st.sampled_from(["close", "low * $k", "sma(close, $n)", "close * (1 - $k/100)", "close >"]),
    st.text(max_size=40),
    st.integers(-5, 20_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dictionaries(st.sampled_from(["k", "n", "z"]), st.one_of(st.integers(-3, 300), st.text())),
    st.none(),
)
ORDERS = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(),
    st.dictionaries(
        st.sampled_from(["type", "limit", "stop", "params", "valid_bars", "x"]), VALUES, max_size=5
    ),
)


def test_fuzzed_entry_orders_are_never_a_5xx_and_every_refusal_names_its_field(client):
    @settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 150),
        deadline=None,
        derandomize=not os.environ.get("FUZZ_EXAMPLES"),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(order=ORDERS)
    def check(order):
        body = {**valid_request(), "entry_order": order}
        response = client.post("/run_backtest", json=body)
        assert response.status_code < 500, (body, response.get_data(as_text=True))
        if response.status_code == 400:
            field = response.get_json().get("field") or ""
            assert field.startswith("entry_order"), (body, response.get_json())

    check()


def test_a_borrow_rate_beside_an_entry_order_is_a_400_naming_borrow_rate(client):
    """The order walk accrues no borrow fee, so the two together are refused, not ignored;
    with a market entry the same borrow rate is accepted."""
    order = {"type": "limit", "limit": "close * 0.99"}
    body = {**valid_request(), "direction": "longshort", "borrow_rate": 0.03}
    refused = client.post("/run_backtest", json={**body, "entry_order": order})
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "borrow_rate"
    assert "entry orders" in refused.get_json()["error"]
    market = client.post("/run_backtest", json={**body, "entry_order": {"type": "market"}})
    assert market.status_code == 202, market.get_json()
