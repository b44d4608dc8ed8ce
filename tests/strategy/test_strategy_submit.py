"""``Backtest(...).submit(client)``: notebook mode sends the same backtest to the platform
(the strategy class's module, its params, cash and fees as the request's fields, the
catalog ticker and window), and the platform's run of that request holds the notebook's
statistics, trades and equity byte for byte."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from backtest_client import Client
from backtest_strategy import Backtest
from backtest_strategy.catalog import catalog_frame
from kinds.runs.contract import parse_request
from kinds.runs.execute import load_market_data, market_window
from kinds.runs.kind import execute_request
from kinds.runs.python_request import EXAMPLE_CLASS, EXAMPLE_CODE, code_hash
from kinds.runs.python_run import strategy_result
from kinds.runs.serialize import to_json

COSTS = {
    "cash": 50_000,
    "commission": (1.0, 0.002),
    "spread": 0.0005,
    "fee_per_share": 0.01,
    "fee_max": 25.0,
    "finalize_trades": True,
}


def module_file(source: str, name: str, folder, monkeypatch) -> types.ModuleType:
    """``source`` imported as the module ``name`` from a file in ``folder`` (a submission
    sends the source of the file its class was defined in)."""
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sma_cross(tmp_path, monkeypatch):
    """The run form's example SmaCross, imported from a module file (its source is what a
    submission sends)."""
    return getattr(module_file(EXAMPLE_CODE, "my_sma_cross", tmp_path, monkeypatch), EXAMPLE_CLASS)


def submitted(backtest: Backtest, **kwargs) -> dict:
    """The request body ``backtest.submit`` has a real client send (caught before HTTP)."""
    client = Client("http://127.0.0.1:9")
    sent: list[dict] = []
    client.submit = sent.append  # the body as it would be posted
    backtest.submit(client, **kwargs)
    (body,) = sent
    return body


def test_the_platforms_run_of_a_submission_is_the_notebooks_byte_for_byte(sma_cross):
    backtest = Backtest("acme", sma_cross, start_date="2016-01-01", end_date="2017-12-31", **COSTS)
    stats = backtest.run(n1=5, n2=15)
    body = submitted(backtest, n1=5, n2=15, fields={"charts": False})
    assert body["ticker"] == "ACME" and body["strategy_code"] == EXAMPLE_CODE
    assert (body["start_date"], body["end_date"]) == ("2016-01-01", "2017-12-31")
    request = parse_request(body)
    frame = market_window(load_market_data(request))
    expected = strategy_result(request, frame.bars, stats, frame.data_hash, code_hash(EXAMPLE_CODE))
    got = execute_request(request)
    assert stats["# Trades"] > 10 and stats["Commissions [$]"] > 0
    assert to_json(got) == to_json(expected)


def test_a_frame_of_a_catalog_tickers_bars_submits_its_window(sma_cross):
    frame = catalog_frame("ACME", "2016-01-01", "2017-12-31")
    body = submitted(Backtest(frame, sma_cross, **COSTS), ticker="ACME")
    from_ticker = submitted(
        Backtest("ACME", sma_cross, start_date="2016-01-01", end_date="2017-12-31", **COSTS)
    )
    assert (body["start_date"], body["end_date"]) == ("2016-01-04", "2017-12-29")
    assert parse_request(body).to_dict()["fee_max"] == 25.0
    window = market_window(load_market_data(parse_request(body))).bars
    assert len(window) == len(frame)
    del body["start_date"], body["end_date"], from_ticker["start_date"], from_ticker["end_date"]
    assert {**body, "run_id": None} == {**from_ticker, "run_id": None}


def test_the_books_settings_submit_as_their_fields_and_run_as_in_the_notebook(sma_cross):
    settings = {"margin": 0.5, "hedging": True, "trade_on_close": True, "exclusive_orders": True}
    backtest = Backtest("ACME", sma_cross, start_date="2016-01-01", end_date="2017-12-31",
                        **COSTS, **settings)  # fmt: skip
    body = submitted(backtest, fields={"charts": False})
    assert {name: body[name] for name in settings} == settings
    request = parse_request(body)
    frame = market_window(load_market_data(request))
    stats = backtest.run()
    expected = strategy_result(request, frame.bars, stats, frame.data_hash, code_hash(EXAMPLE_CODE))
    assert to_json(execute_request(request)) == to_json(expected)
    plain = submitted(Backtest("ACME", sma_cross, start_date="2016-01-01", end_date="2016-12-31"))
    assert not set(settings) & set(plain)


@pytest.mark.parametrize(
    ("settings", "submit", "field"),
    [
        ({}, {}, "ticker"),
        ({"spread": 0.00651592972722763}, {"ticker": "ACME"}, "spread"),
    ],
)
def test_what_a_request_cannot_carry_is_refused_naming_it(sma_cross, settings, submit, field):
    backtest = Backtest(catalog_frame("ACME", "2016-01-01", "2016-06-30"), sma_cross, **settings)
    with pytest.raises(ValueError, match=f"^{field}"):
        submitted(backtest, **submit)
