"""A portfolio request's ``borrow_rate`` (docs/portfolios.md, "Long-short"): left out of the
normalised request at 0 (a request without it reads as before), refused without a
long-short book and outside 0-1 naming the field, paid by the demo book's equity, and
searchable like the other numeric settings."""

from __future__ import annotations

import pytest

from data.demo_universe import UNIVERSE
from kinds.portfolios.compute import simulate
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.search import apply, space, suggested_space
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

TICKERS = [member.ticker for member in UNIVERSE][:8]
BOOK = {"method": "rank", "score": "roc(close, 60)", "top_n": 2, "short_n": 2}


def _request(allocation: dict | None = None, **fields) -> dict:
    body = valid_portfolio(tickers=TICKERS, allocation=allocation or BOOK, params={}, **fields)
    return parse_portfolio(body)


def test_a_zero_borrow_rate_is_left_out_so_the_request_reads_as_without_one():
    assert "borrow_rate" not in _request()
    assert _request(borrow_rate=0) == _request()
    assert _request(borrow_rate=0.03)["borrow_rate"] == 0.03


@pytest.mark.parametrize(
    ("allocation", "rate"),
    [
        ({"method": "rank", "score": "roc(close, 60)", "top_n": 2}, 0.02),
        ({"method": "equal"}, 0.02),
        (BOOK, -0.01),
        (BOOK, 1.5),
        (BOOK, "2%"),
    ],
)
def test_a_borrow_rate_without_shorts_or_outside_0_to_1_is_refused_naming_it(allocation, rate):
    with pytest.raises(RequestError) as caught:
        _request(allocation, borrow_rate=rate)
    assert caught.value.field == "borrow_rate"


def test_the_demo_book_pays_more_the_higher_the_rate():
    """Same orders until the fee has moved the cash the book is sized from; the final equity
    falls as the rate rises."""
    finals = []
    for rate in (0.0, 0.05, 0.2):
        request = _request(borrow_rate=rate)
        finals.append(float(simulate(request, load_universe(request)).equity[-1]))
    assert finals[0] > finals[1] > finals[2]


def test_a_search_varies_the_borrow_rate_of_a_long_short_book_only():
    base = _request(borrow_rate=0.02)
    assert space(base)["borrow_rate"].default == 0.02
    assert apply(base, {"borrow_rate": 0.05})["borrow_rate"] == 0.05
    assert "borrow_rate" not in apply(base, {"borrow_rate": 0.0})
    offered = {entry["name"]: entry for entry in suggested_space(base)}
    assert (offered["borrow_rate"]["low"], offered["borrow_rate"]["high"]) == (0.01, 0.04)
    long_only = _request({"method": "rank", "score": "roc(close, 60)", "top_n": 2})
    assert "borrow_rate" not in {entry["name"] for entry in suggested_space(long_only)}
    with pytest.raises(RequestError) as caught:
        apply(long_only, {"borrow_rate": 0.05})
    assert caught.value.field == "grid.borrow_rate"
