"""A portfolio's computation on the shipped demo data, as a Job runs it
(``kinds.portfolios.kind.run_locally``): the rank holds at most top_n tickers, a filter that
never holds keeps everything in cash, fixed weights hold their proportions, and the result
records what made it."""

from __future__ import annotations

import json
import uuid

import pytest

from kinds.portfolios.kind import run_locally
from kinds.portfolios.request_model import parse_portfolio
from metrics import PORTFOLIO_PAGE_METRICS
from tests.portfolios.support import DEMO, valid_portfolio


def _run(**fields) -> dict:
    request = parse_portfolio(valid_portfolio(**fields))
    request["portfolio_id"] = str(uuid.uuid4())
    return json.loads(run_locally(request))


def _held_per_sample(result: dict) -> list[int]:
    values = result["weights"]["values"]
    return [sum(1 for column in values if column[i] > 1e-9) for i in range(len(values[0]))]


def test_a_rank_holds_at_most_top_n_tickers():
    """top_n 1: never more than one ticker held at a sampled close, and some held."""
    result = _run(allocation={"method": "rank", "score": "roc(close, $n)", "top_n": 1})
    held = _held_per_sample(result)
    assert max(held) == 1


def test_a_filter_that_never_holds_keeps_the_portfolio_in_cash():
    """No ticker is ever eligible: no order, the equity stays the capital."""
    allocation = {"method": "rank", "score": "roc(close, $n)", "filter": "close < 0", "top_n": 2}
    result = _run(allocation=allocation)
    assert result["orders_total"] == 0
    assert set(result["equity"]) == {100_000.0}


def test_fixed_weights_hold_their_proportions_at_fills():
    """60/40 of two tickers, rebalanced monthly: right after a fill the weights are close
    to 0.6 and 0.4 (whole shares, one day of drift), the other tickers never held."""
    result = _run(
        allocation={"method": "fixed", "weights": {"ACME": 0.6, "GLOBEX": 0.4}},
        params={},
        rebalance={"schedule": "monthly"},
    )
    weights = result["weights"]
    assert set(weights["tickers"]) == {"ACME", "GLOBEX"}
    acme = weights["values"][weights["tickers"].index("ACME")]
    assert max(acme) == pytest.approx(0.6, abs=0.08)


def test_the_result_records_its_request_versions_and_tickers():
    """schema_version, both engine versions, the normalised request and the tickers."""
    result = _run()
    assert result["schema_version"] == "1.3.0"
    assert result["portfolio_engine_version"] == "1.6.1"
    assert result["engine_version"]
    assert result["tickers"] == list(DEMO)
    assert result["request"]["allocation"]["score"] == "roc(close, $n)"
    assert len(result["data_hash"]) == 64


def test_every_metric_of_a_result_is_a_registry_row_of_the_portfolio_page():
    """The page labels every metric a result holds (``num_trades``, the orders counted again
    for the sweeps' tables, is its Orders row); the benchmark's are among them."""
    result = _run()
    rows = {m.key for m in PORTFOLIO_PAGE_METRICS}
    assert set(result["metrics"]) - {"num_trades"} <= rows
    assert set(result["benchmark"]["metrics"]) - {"num_trades"} <= rows


@pytest.mark.parametrize(
    "allocation",
    [
        {"method": "equal"},
        {"method": "fixed", "weights": {"ACME": 0.5}},
        {"method": "rank", "score": "roc(close, $n)", "top_n": 2},
    ],
    ids=["equal", "fixed", "rank"],
)
def test_a_normalised_request_parses_again_unchanged(allocation):
    """What is stored (and what run_locally and the reaper read back) is a fixed point of
    the request's parse, for every method."""
    params = {"n": 20} if allocation["method"] == "rank" else {}
    once = parse_portfolio(valid_portfolio(allocation=allocation, params=params))
    assert parse_portfolio(once) == once


def test_rank_with_a_null_top_n_is_refused():
    """null top_n (allowed for the other methods) is a 400 naming it for rank."""
    from work.errors import RequestError

    with pytest.raises(RequestError) as refused:
        parse_portfolio(valid_portfolio(allocation={"method": "rank", "top_n": None}))
    assert refused.value.field == "allocation.top_n"
