"""The search protocol (``work.search``): every kind that declares a search gives a space from
a base request, the request of one point and an evaluator; a portfolio's point evaluates to
the bytes the same portfolio computes alone, and values outside a name's domain are refused
naming ``grid.<name>``."""

from __future__ import annotations

import uuid

import pytest

from kinds.portfolios.kind import PORTFOLIO, run_locally
from kinds.portfolios.request_model import parse_portfolio
from kinds.registry import all_kinds
from kinds.runs.kind import RUN
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError
from work.search import Domain, search_of


def _base() -> dict:
    request = parse_portfolio(valid_portfolio())
    request["portfolio_id"] = str(uuid.uuid4())
    return request


def test_runs_and_portfolios_declare_a_search_for_their_own_kind():
    searches = {kind.name: search_of(kind) for kind in all_kinds() if kind.search}
    assert searches["run"].kind == "run"
    assert searches["portfolio"].kind == "portfolio"


def test_a_portfolio_space_names_its_dollar_names_and_settings():
    space = search_of(PORTFOLIO).space(_base())
    assert space["n"] == Domain("int", 1, space["n"].high, default=20)
    assert {"top_n", "weighting", "schedule", "every_n_bars", "drift_threshold"} <= set(space)


def test_a_portfolio_point_evaluates_to_the_bytes_of_the_same_portfolio_alone():
    search = search_of(PORTFOLIO)
    base = _base()
    requests = [search.apply(base, {"n": n, "top_n": k}) for n, k in ((10, 1), (40, 3))]
    outcomes = search.evaluate(requests)
    for request, outcome in zip(requests, outcomes, strict=True):
        assert request["params"]["n"] == outcome.request["params"]["n"]
        assert outcome.text == run_locally(request)
        assert outcome.metrics["total_return_pct"] == outcome.result["metrics"]["total_return_pct"]
    assert outcomes[0].text != outcomes[1].text


def test_a_value_outside_its_domain_is_refused_naming_the_grid_entry():
    search = search_of(PORTFOLIO)
    space = search.space(_base())
    with pytest.raises(RequestError) as caught:
        search.check_point(space, {"top_n": 0})
    assert caught.value.field == "grid.top_n"
    with pytest.raises(RequestError) as caught:
        search.check_point(space, {"nope": 1})
    assert caught.value.field == "grid.nope"


def test_a_run_point_is_a_checked_run_request_with_the_swept_values():
    search = search_of(RUN)
    base = {
        "run_id": str(uuid.uuid4()),
        "ticker": "ACME",
        "rule_type": "SMA_CROSS",
        "start_date": "2018-01-01",
        "end_date": "2019-12-31",
        "params": {"fast": 10, "slow": 30},
    }
    space = search.space(base)
    assert space["fast"].type == "int" and "stop_loss_pct" in space
    request = search.apply(base, {"fast": 5, "stop_loss_pct": 0.05})
    assert request["params"]["fast"] == 5 and request["stop_loss_pct"] == 0.05
    outcome = search.evaluate_one(request)
    assert set(outcome.metrics) >= {"total_return_pct", "sharpe_ratio"}


def test_the_runs_vectorised_batch_gives_each_points_metrics_alone():
    """Two bases (two tickers) and swept stops in one batch: every outcome's metrics are
    those of its request computed alone (``evaluate_one``), in the requests' order."""
    search = search_of(RUN)
    requests = []
    for ticker in ("ACME", "GLOBEX"):
        base = {
            "run_id": str(uuid.uuid4()),
            "ticker": ticker,
            "rule_type": "SMA_CROSS",
            "start_date": "2018-01-01",
            "end_date": "2019-12-31",
            "params": {"fast": 10, "slow": 30},
        }
        for fast, stop in ((5, None), (8, 0.05), (12, None)):
            requests.append(search.apply(base, {"fast": fast, "stop_loss_pct": stop}))
    batch = search.evaluate_batch(requests)
    assert [o.request["ticker"] for o in batch] == [r["ticker"] for r in requests]
    for request, outcome in zip(requests, batch, strict=True):
        alone = search.evaluate_one(request).metrics
        assert outcome.metrics == pytest.approx(alone, nan_ok=True)
