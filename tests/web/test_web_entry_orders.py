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


def test_a_borrow_rate_beside_an_entry_order_is_accepted(client):
    """The order walk accrues the borrow fee, so a borrow rate is queued beside a limit
    entry order as beside a market one."""
    order = {"type": "limit", "limit": "close * 0.99"}
    body = {**valid_request(), "direction": "longshort", "borrow_rate": 0.03}
    for entry_order in (order, {"type": "market"}):
        response = client.post("/run_backtest", json={**body, "entry_order": entry_order})
        assert response.status_code == 202, response.get_json()
