"""EXPR through the API: a run, a sweep over a $parameter, a walk-forward, a preset and the
signal analyzer take it; a fuzz of random and mutated expression texts never gets a 5xx,
and every refusal is a 400 naming its field, answered in under 200 ms of CPU."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.support import handled, valid_request, valid_sweep, valid_walkforward

EXAMPLE = {
    "entry": "close > sma(close, 20) and rsi(close, $n) < $low",
    "exit": "rsi(close, $n) > $high or close < lag(lowest(low, 20), 1)",
    "bounds": {"n": [2, 50]},
    "n": 2,
    "low": 10,
    "high": 90,
}
"""The issue's example, with a 20-bar SMA: the test data has 120 bars."""

ANSWER_SECONDS = 0.2


def _expr_run(**params) -> dict:
    return valid_request(rule_type="EXPR", params={**EXAMPLE, **params})


def test_an_expression_run_is_accepted_and_stored_with_its_texts(client):
    response = client.post("/run_backtest", json=_expr_run())
    assert response.status_code in (200, 201, 202), response.get_json()
    run_id = response.get_json()["run_id"]
    stored = client.get(f"/api/runs/{run_id}").get_json()
    params = stored.get("request", stored).get("params") or stored["params"]
    assert params["entry"] == EXAMPLE["entry"] and params["n"] == 2


def test_a_bad_expression_is_a_400_naming_params_entry_with_its_column(client):
    response = client.post("/run_backtest", json=_expr_run(entry="close > smaa(close, 20)"))
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["field"] == "params.entry"
    assert "column 9" in answer["error"] and "did you mean sma?" in answer["error"]


def test_a_sweep_grids_a_parameter_of_the_texts(client):
    body = valid_sweep(rule_type="EXPR", params=EXAMPLE, grid={"n": "2:6:1", "low": [10, 20]})
    response = client.post("/api/sweeps", json=body)
    assert response.status_code in (200, 201, 202), response.get_json()
    outside = valid_sweep(rule_type="EXPR", params=EXAMPLE, grid={"n": [1, 2]})
    answer = client.post("/api/sweeps", json=outside).get_json()
    assert answer["field"] == "grid.n" and "between 2 and 50" in answer["error"]
    texts = valid_sweep(rule_type="EXPR", params=EXAMPLE, grid={"entry": ["close > 1"]})
    assert client.post("/api/sweeps", json=texts).get_json()["field"] == "grid.entry"


def test_a_walkforward_grids_a_parameter_of_the_texts(client):
    body = valid_walkforward(rule_type="EXPR", params=EXAMPLE, grid={"n": [2, 3]})
    response = client.post("/api/walkforward", json=body)
    assert response.status_code in (200, 201, 202), response.get_json()


def test_a_preset_keeps_the_texts_and_the_analyzer_reads_them(client):
    created = client.post("/api/strategies", json={"name": "mine", "payload": _expr_run()})
    assert created.status_code in (200, 201), created.get_json()
    bad = client.post("/api/strategies", json={"name": "bad", "payload": _expr_run(exit="close <")})
    assert bad.status_code == 400 and bad.get_json()["field"].endswith("params.exit")
    analyzed = client.post("/api/analyze_signals", json={**_expr_run(), "horizons": [1, 5]})
    assert analyzed.status_code == 200, analyzed.get_json()


VALID_TEXTS = [
    EXAMPLE["entry"],
    EXAMPLE["exit"],
    "crossover(sma(close, $n), ema(close, 20))",
    "macd_hist(close, 12, 26, 9) > 0 and adx(14) > 25",
    "bb_lower(close, 20, 2) > low or stoch_d(14, 3) < 20",
    "abs(close - lag(close, 1)) / atr(14) > 1.5 and not (volume < sma(volume, 20))",
    'ref("TESTCO", sma(close, $n)) < close and tf("1w", close) > tf("1w", sma(close, 3))',
    'tf("1M", high) > ref("DEMOIX", close) or ref("TESTCO", tf("1d", rsi(close, 2))) < 30',
]
PIECES = [
    "(", ")", ",", " ", "$", "$n", "$__class__", ".", "..", "__class__", "__import__",
    "close", "сlose", "ｃlose", "sma", "smaa", "lag", "-", "*", "/", "<", ">=", "==", "and",
    "or", "not", "1e308", "1e999", "1000000", "-1", "0", "99999999999999999999", "'", '"',
    "\\", "\n", "\x00", "\ud800", "(" * 60, ")" * 60, "not " * 40, "- " * 40,
    "sma(close, 1000000)", "lag(close, -5)", "exec(", "lambda", "[0]", "{}", "#", ";",
    'ref("', 'ref("TESTCO", ', 'tf("1w", ', "tf('1M', ", '"TESTCO"', '"1w"', '"' + "x" * 40,
    'ref("TESTCO", ' * 40,
]  # fmt: skip


@st.composite
def texts(draw) -> str:
    """A valid text cut, spliced and sprinkled with hostile pieces, or random text."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.text(max_size=80))
    text = draw(st.sampled_from(VALID_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 5))
        text = text[:at] + draw(st.sampled_from(PIECES)) + text[at + cut :]
    return text


def _timed(client, path: str, body: dict):
    """The answer to ``body`` and its CPU seconds (``handled``)."""
    return handled(client, "POST", path, json=body)


@pytest.mark.parametrize("route", ["/run_backtest", "/api/sweeps"])
def test_fuzzed_texts_never_get_a_5xx_and_every_refusal_names_its_field_quickly(client, route):
    """Random and mutated texts in entry and exit (and random values of $n): never a 5xx;
    a refusal is a 400 naming params.entry, params.exit or params.n…; every answer in
    under 200 ms of CPU (the least of two tries)."""

    @settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 120),
        deadline=None,
        derandomize=not os.environ.get("FUZZ_EXAMPLES"),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(entry=texts(), exit_=texts(), n=st.one_of(st.integers(-5, 100), st.floats()))
    def check(entry, exit_, n):
        params = {**EXAMPLE, "entry": entry, "exit": exit_, "n": n}
        if route == "/run_backtest":
            body = valid_request(rule_type="EXPR", params=params)
        else:
            body = valid_sweep(rule_type="EXPR", params=params, grid={"low": [10, 20]})
        response, seconds = _timed(client, route, body)
        assert response.status_code < 500, (body, response.get_data(as_text=True))
        if response.status_code == 400:
            field = response.get_json().get("field") or ""
            assert field.startswith(("params", "grid")), (body, response.get_json())
        if seconds >= ANSWER_SECONDS:
            seconds = min(seconds, _timed(client, route, body)[1])
        assert seconds < ANSWER_SECONDS, (body, seconds)

    check()


ADVERSARIAL = [
    "(" * 5000 + "close" + ")" * 5000,
    "-" * 1999 + "close",
    "not " * 490 + "close > 1",
    "sma(" * 300 + "close" + ", 2)" * 300 + " > 1",
    "close > sma(close, 1000000)",
    "close > " + "9" * 1990,
    "close > 1e308 * 1e308",
    "сlose > 1",
    "close > $__class__",
    "close.__class__.__mro__ > 1",
    "__import__('os').system('true') > 1",
    "close > " + " + ".join(["close"] * 400),
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_texts_are_refused_cheaply(client, text):
    response, seconds = _timed(client, "/run_backtest", _expr_run(entry=text))
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == "params.entry"
    assert seconds < ANSWER_SECONDS
