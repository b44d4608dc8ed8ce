"""A fuzz test of every JSON body the API takes (issue 12 §2: POST, PUT and PATCH): bodies
built from each route's JSON Schema (its own property names, nested ``params``/``grid``
included) with hostile values put anywhere — huge and tiny numbers, NaN, lone surrogates,
markup, hostile grid ranges, wrong types, deep nesting, unknown keys. Whatever is sent: never
a 5xx, every 4xx is JSON naming a ``field``, and a refusal costs the web less than 200 ms of
CPU (the slow rejections the fuzzed corpus found took 6–8 s).

Then the largest bodies of those kinds a client can send (issue 23 §2: 62,000 unknown keys
took over 30 s to refuse, a 100,000-digit number 1–2 s): each route refuses every one with a
400 naming a field in under 200 ms of CPU.

Both limits are CPU time of the thread that handles the request (the test's own: that is the
web's cost of it, ``tests.web.support.handled``, no garbage collection in it), not wall time:
the suite runs files in parallel on a shared machine, where a request's wall time is mostly
the wait for a core. The limit is the same 200 ms; a slow path (the 1–30 s ones above) still
costs seconds of CPU.
"""

from __future__ import annotations

import copy
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinds.runs.fields import LABEL_FIELDS
from kinds.runs.signal_report import SIGNAL_FIELDS
from kinds.studies.request_model import StudyBody
from kinds.walkforward.contract import WALKFORWARD_FIELDS
from tests.portfolios.support import valid_portfolio
from tests.studies.support import valid_study
from tests.web.support import handled, valid_request, valid_sweep, valid_walkforward
from web.api.portfolios import json_schema as portfolio_schema
from web.api.runs.submit import json_schema as run_schema
from web.api.schema import preset_schema
from web.api.sweeps import sweep_schema

REFUSAL_CPU_SECONDS = 0.2

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 150)
"""Bodies per route; FUZZ_EXAMPLES=3000 (random, not the fixed CI examples) for a longer hunt."""

HOSTILE_TEXT = [
    "",
    " ",
    "<script>alert(1)</script>",
    "\ud800",
    "x\udfffy",
    "1:99:1e-30",
    "1:99:1e-999999",
    "2:9999999999999999999999999999999999:1",
    "10:40:0.0001",
    "5:1:1",
    "NaN",
    "1e309",
    "2021-02-30",
    "9999-12-31",
    "../../etc/passwd",
    "a" * 5000,
    "RSI",
    "COMPOSITE",
]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, -1, 1, 2, 2**31, 2**63, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-30, 1e-300, 0.0001, 1e308, -0.0]),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_TEXT),
)
KEYS = st.one_of(st.text(max_size=10), st.sampled_from(HOSTILE_TEXT))
HOSTILE = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=10), st.sampled_from(HOSTILE_TEXT)), inner, max_size=4
        ),
    ),
    max_leaves=12,
)


def _deep(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _labels_schema() -> dict:
    """The ``PATCH /api/runs/<id>`` body's fields: the run's labels and ``pinned``."""
    return {"properties": {name: {} for name in [*LABEL_FIELDS, "pinned"]}}


def _signals_schema() -> dict:
    """The ``POST /api/analyze_signals`` body's fields: a run's rule and window, horizons."""
    return {"properties": {name: {} for name in SIGNAL_FIELDS}}


def _walkforward_schema() -> dict:
    """The ``POST /api/walkforward`` body's fields: a one-ticker sweep's and the windows'."""
    sweep = sweep_schema(1000)["properties"]
    return {"properties": {name: {} for name in [*sweep, "ticker", *WALKFORWARD_FIELDS]}}


def _preset() -> dict:
    return {"name": "p", "payload": valid_request()}


ROUTES = {
    "POST /run_backtest": (run_schema, lambda: valid_request()),
    "POST /api/sweeps": (lambda: sweep_schema(1000), valid_sweep),
    "POST /api/strategies": (preset_schema, _preset),
    "PUT /api/strategies/{preset_id}": (preset_schema, _preset),
    "PATCH /api/runs/{run_id}": (
        _labels_schema,
        lambda: {"name": "n", "tags": ["a"], "notes": "x", "pinned": True},
    ),
    "POST /api/analyze_signals": (_signals_schema, lambda: valid_request(horizons=[1, 5])),
    "POST /api/walkforward": (_walkforward_schema, valid_walkforward),
    "POST /api/portfolios": (portfolio_schema, valid_portfolio),
    "POST /api/studies": (StudyBody.model_json_schema, valid_study),
}
"""Every route that takes a JSON body (each kind's submission among them), as "METHOD
path"; ``{preset_id}`` and ``{run_id}`` name a preset and a run the test creates first."""


NESTED = ("params", "grid", "payload", "allocation", "rebalance", "space")
"""The objects inside a body whose keys the fuzz replaces too (the first one a body has)."""


def _fields(schema: dict) -> list[str]:
    """The body's property names, from the route's JSON Schema."""
    return sorted(schema.get("properties", {}))


@st.composite
def bodies(draw, route: str) -> object:
    """A body for ``route``: its valid example with some fields replaced by hostile values
    (top level, or inside params/grid/payload), removed, or joined by unknown keys; now and
    then no object at all."""
    schema_of, valid = ROUTES[route]
    body = copy.deepcopy(valid())  # a nested replacement must not reach a shared constant
    if draw(st.integers(0, 19)) == 0:
        return draw(HOSTILE)
    fields = _fields(schema_of())
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "replace", "nested", "drop", "extra", "deep"]))
        name = draw(st.sampled_from(fields))
        if action == "replace":
            body[name] = draw(HOSTILE)
        elif action == "nested":
            holder = next((k for k in NESTED if isinstance(body.get(k), dict)), None)
            if holder is None:
                body[name] = draw(HOSTILE)
            else:
                keys = [*body[holder], "period", "fast", "slow", "oversold", "rules", "top_n"]
                body[holder][draw(st.sampled_from(keys))] = draw(HOSTILE)
        elif action == "drop":
            body.pop(name, None)
        elif action == "extra":
            body[draw(st.sampled_from([*HOSTILE_TEXT, "unknown"]))] = draw(HOSTILE)
        else:
            body[name] = _deep(draw(st.sampled_from([50, 500, 5000])))
    return body


def _send(client, method: str, path: str, body: object):
    try:
        data = json.dumps(body, allow_nan=True)
    except (ValueError, RecursionError):  # not expressible as JSON text: send it broken
        data = "{"
    return _send_bytes(client, method, path, data)


def _send_bytes(client, method: str, path: str, data: str | bytes):
    """The response to ``data`` and the CPU seconds spent answering it (``handled``)."""
    return handled(client, method, path, data=data, content_type="application/json")


def _path(client, route: str) -> tuple[str, str]:
    """(method, path) of ``route``, with the preset or run it names created first."""
    method, path = route.split(" ", 1)
    if "{preset_id}" in path:
        created = client.post("/api/strategies", json={"name": "target", "payload": {}})
        path = path.format(preset_id=created.get_json()["id"])
    if "{run_id}" in path:
        created = client.post("/run_backtest", json=valid_request())
        path = path.format(run_id=created.get_json()["run_id"])
    return method, path


@pytest.mark.slow  # a few hundred requests per route
@pytest.mark.parametrize("route", list(ROUTES))
def test_no_body_gets_a_5xx_every_refusal_names_its_field_and_is_cheap(app, route):
    client = app.test_client()
    method, path = _path(client, route)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not os.environ.get("FUZZ_EXAMPLES"),  # CI: the same examples every run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(body=bodies(route))
    def check(body):
        response, cpu = _send(client, method, path, body)
        assert response.status_code < 500, (body, response.get_data(as_text=True))
        if 400 <= response.status_code < 500:
            answer = response.get_json()
            assert isinstance(answer, dict) and answer.get("error"), (body, answer)
            if response.status_code == 400:
                assert answer.get("field"), (body, answer)
            if cpu >= REFUSAL_CPU_SECONDS:  # a one-off warm-up, or a slow path: ask again
                cpu = min(cpu, _send(client, method, path, body)[1])
            assert cpu < REFUSAL_CPU_SECONDS, (body, f"{cpu:.3f} s of CPU to refuse it")

    check()


HUGE_KEYS = 60_000
"""Unknown keys in the largest body refused (about 0.8 MiB: under the 1 MiB limit)."""
HUGE_DIGITS = 100_000
"""Digits of the longest number refused."""
REFUSAL_SECONDS = 0.2
"""CPU time to refuse one huge body (the median of a few tries)."""


def _holder(body: dict) -> str | None:
    """The route's nested object (``params``, ``grid`` or ``payload``), if it has one."""
    return next((k for k in ("params", "grid", "payload") if isinstance(body.get(k), dict)), None)


def _many_keys(body: dict, nested: bool) -> bytes:
    """``body`` with ``HUGE_KEYS`` unknown keys at its top level or in its nested object."""
    keys = ", ".join(f'"k{i}": 0' for i in range(HUGE_KEYS))
    holder = _holder(body) if nested else None
    if holder is None:
        return json.dumps(body)[:-1].encode() + b", " + keys.encode() + b"}"
    inner = json.dumps(body[holder])[:-1] + (", " if body[holder] else "") + keys + "}"
    return json.dumps({**body, holder: "HOLE"}).replace('"HOLE"', inner).encode()


def _long_number(body: dict, literal: str) -> bytes:
    """``body`` with ``literal`` as the value of a number field (in a preset, of its payload's
    ``initial_capital``); the labels, which have none, get it as their ``name``."""
    if isinstance(body.get("payload"), dict):
        body = {**body, "payload": {**body["payload"], "initial_capital": "HOLE"}}
    else:
        numbers = [k for k, v in body.items() if isinstance(v, int | float)]
        name = "initial_capital" if "ticker" in body else (numbers or [next(iter(body))])[0]
        body = {**body, name: "HOLE"}
    return json.dumps(body).replace('"HOLE"', literal).encode()


HUGE_BODIES = {
    "60000-unknown-keys": lambda body: _many_keys(body, nested=False),
    "60000-keys-in-params": lambda body: _many_keys(body, nested=True),
    "100000-digit-integer": lambda body: _long_number(body, "9" * HUGE_DIGITS),
    "100000-digit-negative-integer": lambda body: _long_number(body, "-" + "1" * HUGE_DIGITS),
    "100000-digit-fraction": lambda body: _long_number(body, "0." + "3" * HUGE_DIGITS),
    "100000-digit-exponent": lambda body: _long_number(body, "1e" + "9" * HUGE_DIGITS),
    "300000-array-items": lambda body: json.dumps({**body, "x": [0] * 300_000}).encode(),
    "nesting-40000-deep": lambda body: (
        json.dumps({**body, "x": "HOLE"})
        .replace('"HOLE"', '{"a": [' * 40_000 + "1" + "]}" * 40_000)
        .encode()
    ),
}


CHECKS = {
    "POST /api/schema/run/validate": valid_request,
    "POST /api/schema/sweep/validate": valid_sweep,
    "POST /api/schema/walkforward/validate": valid_walkforward,
    "POST /api/schema/portfolio/validate": valid_portfolio,
    "POST /api/schema/study/validate": valid_study,
}
"""The request checks, which read a run's, a sweep's, a walk-forward's, a portfolio's and a
study's body as their submissions do."""


@pytest.mark.parametrize("shape", list(HUGE_BODIES))
@pytest.mark.parametrize("route", [*ROUTES, *CHECKS])
def test_the_largest_hostile_bodies_are_refused_with_a_400_in_under_200_ms(app, route, shape):
    """Bodies under 1 MiB built to be slow to validate are a 400 naming a field, each costing
    the web under 200 ms, on every JSON route."""
    client = app.test_client()
    method, path = _path(client, route)
    valid = CHECKS[route] if route in CHECKS else ROUTES[route][1]
    data = HUGE_BODIES[shape](valid())
    assert len(data) < 1024 * 1024
    times = []
    for _ in range(3):
        response, cpu = _send_bytes(client, method, path, data)
        times.append(cpu)
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert response.get_json()["field"]
    assert sorted(times)[1] < REFUSAL_SECONDS, f"{sorted(times)[1]:.3f} s of CPU to refuse it"
