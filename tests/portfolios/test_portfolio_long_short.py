"""A long-short portfolio request (docs/portfolios.md): ``short_n`` with gross and net
exposure on a ranking, its defaults (100 % a side), the 400s naming the field, the demo data
computed with shorts, and the search names that vary it."""

from __future__ import annotations

import numpy as np
import pytest

from data.demo_universe import UNIVERSE
from kinds.portfolios.compute import simulate
from kinds.portfolios.describe import default_label
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.search import apply, space, suggested_space
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

TICKERS = [member.ticker for member in UNIVERSE][:12]
RANK = {"method": "rank", "score": "roc(close, 60)", "top_n": 3}


def _request(**allocation) -> dict:
    return parse_portfolio(
        valid_portfolio(tickers=TICKERS, allocation={**RANK, **allocation}, params={})
    )


def test_a_long_short_book_defaults_to_100_percent_a_side_and_long_only_to_none():
    book = _request(short_n=3)["allocation"]
    assert (book["short_n"], book["gross_exposure"], book["net_exposure"]) == (3, 2.0, 0.0)
    plain = _request()["allocation"]
    assert (plain["short_n"], plain["gross_exposure"], plain["net_exposure"]) == (None,) * 3


def test_the_demo_book_holds_shorts_and_its_gross_exposure_at_each_fill():
    request = _request(
        short_n=3, gross_exposure=1.6, net_exposure=1.0, weighting="inverse_volatility"
    )
    universe = load_universe(request)
    result = simulate(request, universe)
    bars = np.unique(result.orders.bar)
    opened = np.nan_to_num(universe.open[bars])
    value = result.cash[bars - 1] + (result.shares[bars - 1] * opened).sum(axis=1)
    held = result.shares[bars] * opened
    gross = np.abs(held).sum(axis=1) / value
    net = held.sum(axis=1) / value
    late = bars > 60  # once the 60-day score ranks every ticker
    assert np.all(np.abs(gross[late] - 1.6) < 0.02) and np.all(np.abs(net[late] - 1.0) < 0.02)
    assert (result.shares < 0).any()


@pytest.mark.parametrize(
    ("allocation", "field"),
    [
        ({"short_n": 0}, "allocation.short_n"),
        ({"short_n": 2, "gross_exposure": 1.0, "net_exposure": 1.5}, "allocation.net_exposure"),
        ({"short_n": 2, "gross_exposure": 5.0}, "allocation.gross_exposure"),
    ],
)
def test_a_bad_long_short_field_is_refused_naming_it(allocation, field):
    with pytest.raises(RequestError) as caught:
        _request(**allocation)
    assert caught.value.field == field


def test_short_n_is_for_a_ranking_only():
    body = valid_portfolio(tickers=TICKERS, allocation={"method": "equal", "short_n": 2}, params={})
    with pytest.raises(RequestError) as caught:
        parse_portfolio(body)
    assert caught.value.field == "allocation.short_n"


def test_a_search_varies_the_book():
    base = _request(short_n=3)
    assert {"short_n", "gross_exposure", "net_exposure"} <= set(space(base))
    point = apply(base, {"short_n": 2, "net_exposure": 0.5})
    assert (point["allocation"]["short_n"], point["allocation"]["net_exposure"]) == (2, 0.5)
    assert "short_n" not in {entry["name"] for entry in suggested_space(_request())}


def test_the_default_label_names_the_book_its_weighting_and_its_volatility_target():
    book = _request(short_n=2, weighting="equal_risk_contribution", target_volatility=0.1)
    assert default_label(book) == (
        "rank top 3 short 2 risk parity by roc(close, 60) · 10% volatility · monthly · 12 tickers"
    )
