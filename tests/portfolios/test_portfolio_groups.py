"""Group ranking in a portfolio request (docs/portfolios.md, "Ranking sectors"): the sectors
ranked by the mean or median of their members' scores, the best ``top_groups`` kept, at
most ``per_group`` names of each, then the ranking's ``top_n``, weighting and caps; worked
out by hand on a small universe whose score is its (flat) price, checked on the demo
universe, refused with 400s naming the field, and searchable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data
from data.demo_universe import UNIVERSE
from engine import Bars
from engine.portfolio import rebalance_schedule
from kinds.portfolios.compute import _targets, simulate
from kinds.portfolios.describe import construction
from kinds.portfolios.groups import group_scores
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.search import apply, space, suggested_space
from kinds.portfolios.universe import aligned, check_universe, load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

PRICES = {"A1": 10.0, "A2": 4.0, "B1": 9.0, "B2": 8.0, "B3": 1.0, "C1": 5.0, "X": 20.0}
SECTORS = ("A", "A", "B", "B", "B", "C", None)
"""A hand-made universe: with the score ``close``, sector A scores mean 7 and median 7,
B mean 6 and median 8, C 5; X has no sector (and the best score)."""


def _flat(price: float) -> Bars:
    stamps = (pd.bdate_range("2021-01-04", periods=30) + pd.Timedelta(hours=21)).values
    ones = np.ones(30)
    return Bars(stamps.astype("datetime64[s]"), price * ones, price * ones, price * ones,
                price * ones, 1000 * ones)  # fmt: skip


def _hand_made(**allocation) -> dict[str, float]:
    """The target weights of the last decision (the bar before the last), by ticker (the
    nonzero ones)."""
    fields = {"method": "rank", "score": "close", "top_n": 10, **allocation}
    daily = {"schedule": "daily"}
    body = valid_portfolio(tickers=list(PRICES), allocation=fields, params={}, rebalance=daily)
    request = parse_portfolio(body)
    loaded = [data.History(_flat(p), 5, 30, "", t, Path(t)) for t, p in PRICES.items()]
    universe = replace(aligned(loaded)[0], sectors=SECTORS)
    targets = _targets(request, universe, rebalance_schedule(universe.days, "daily", None))
    return {t: round(float(w), 12) for t, w in zip(PRICES, targets[-2], strict=True) if w}


CASES = [
    ({}, dict.fromkeys(PRICES, 1 / 7)),
    ({"top_groups": 1}, {"A1": 0.5, "A2": 0.5}),
    ({"top_groups": 1, "group_score": "median"}, {"B1": 1 / 3, "B2": 1 / 3, "B3": 1 / 3}),
    ({"top_groups": 2, "per_group": 1}, {"A1": 0.5, "B1": 0.5}),
    ({"top_groups": 2, "per_group": 2, "top_n": 3}, {"A1": 1 / 3, "B1": 1 / 3, "B2": 1 / 3}),
    ({"top_groups": 3, "per_group": 1, "weighting": "score"},
     {"A1": 10 / 24, "B1": 9 / 24, "C1": 5 / 24}),
    ({"top_groups": 1, "filter": "close < 9.5"}, {"A2": 1.0}),
    ({"top_groups": 1, "max_sector_weight": 0.6}, {"A1": 0.3, "A2": 0.3}),
    ({"top_groups": 2, "per_group": 1, "max_weight": 0.4}, {"A1": 0.4, "B1": 0.4}),
]  # fmt: skip
"""(allocation fields, the weights worked out by hand). Without ``top_groups`` every
ticker is held (X included); the median ranks B first; the filter drops A1 from the
holdings but not from A's score, which still ranks A first (A2 alone holds it all); a
sector cap on the one kept
sector and a ticker cap leave their excess in cash (no other kept name can take it)."""


@pytest.mark.parametrize(("allocation", "want"), CASES)
def test_the_holdings_of_a_hand_made_universe_are_those_worked_out_by_hand(allocation, want):
    got = _hand_made(**allocation)
    assert got == pytest.approx({t: round(w, 12) for t, w in want.items()}, abs=1e-12)
    assert list(got) == [t for t in PRICES if t in want]


def test_a_group_score_is_the_mean_or_median_of_its_members_with_a_score():
    """NaN scores and members not scored that day are left out; a group with none has no
    score; a ticker without a group counts nowhere."""
    scores = np.array([[1.0, 3.0, np.nan, 8.0, 100.0], [2.0, 6.0, 10.0, np.nan, 7.0]])
    scored = np.array([[True, True, True, True, True], [True, False, True, True, True]])
    groups = np.array([0, 0, 0, 1, -1])
    mean = group_scores(scores, scored, groups, "mean")
    np.testing.assert_array_equal(mean, [[2.0, 8.0], [6.0, np.nan]])
    scores[0, 2] = 20.0
    np.testing.assert_array_equal(group_scores(scores, scored, groups, "median")[0], [3.0, 8.0])


def test_on_the_demo_universe_each_decision_holds_names_of_the_best_sectors_only():
    """30 companies in 6 sectors, 63-day momentum, the 2 best sectors by mean, 2 names
    each: every monthly decision holds 4 names, 2 in each of the 2 sectors whose members'
    mean score (by pandas, from the files) is highest that day."""
    members = [m for m in UNIVERSE if m.sector]
    tickers = [m.ticker for m in members]
    allocation = {"method": "rank", "score": "roc(close, 63)", "top_n": 10,
                  "top_groups": 2, "per_group": 2}  # fmt: skip
    request = parse_portfolio(valid_portfolio(tickers=tickers, allocation=allocation, params={}))
    universe = load_universe(request)
    decide = rebalance_schedule(universe.days, "monthly", None)
    targets = _targets(request, universe, decide)
    catalog = data.load_catalog()
    closes = {t: pd.read_csv(catalog.resolve(t), index_col="Date")["Close"] for t in tickers}
    roc = pd.DataFrame({t: (c / c.shift(63) - 1) * 100 for t, c in closes.items()})
    sectors = pd.Series({m.ticker: m.sector for m in members})
    for row in np.flatnonzero(decide):
        day = str(universe.days[row])
        best = roc.loc[day].groupby(sectors).mean().nlargest(2).index
        held = [t for t, w in zip(tickers, targets[row], strict=True) if w > 0]
        assert len(held) == 4
        assert set(sectors[held]) == set(best)
        assert sectors[held].value_counts().tolist() == [2, 2]
    assert simulate(request, universe).equity[-1] > 0


@pytest.mark.parametrize(
    ("allocation", "field"),
    [
        ({"per_group": 2}, "allocation.per_group"),
        ({"group_score": "median"}, "allocation.group_score"),
        ({"top_groups": 0}, "allocation.top_groups"),
        ({"top_groups": 2, "per_group": 0}, "allocation.per_group"),
        ({"top_groups": 2, "group_score": "max"}, "allocation.group_score"),
        ({"top_groups": 2, "short_n": 1}, "allocation.top_groups"),
        ({"top_groups": 2, "method": "equal", "score": None}, "allocation.top_groups"),
        ({"top_groups": 1.5}, "allocation.top_groups"),
    ],
)
def test_a_bad_group_ranking_is_refused_naming_its_field(allocation, field):
    body = valid_portfolio()
    body["allocation"] = {**body["allocation"], **allocation}
    if body["allocation"].get("method") == "equal":
        body["allocation"] = {k: v for k, v in body["allocation"].items() if k != "filter"}
        body["params"] = {}
    with pytest.raises(RequestError) as caught:
        parse_portfolio(body)
    assert caught.value.field == field


def test_a_universe_without_sectors_cannot_rank_them():
    body = valid_portfolio(tickers=["ACME", "GLOBEX"])
    body["allocation"]["top_groups"] = 1
    with pytest.raises(RequestError) as caught:
        check_universe(parse_portfolio(body), None, 512)
    assert caught.value.field == "allocation.top_groups"


def test_without_top_groups_the_request_has_no_group_fields_and_reads_as_before():
    request = parse_portfolio(valid_portfolio())
    assert not {"top_groups", "per_group", "group_score"} & set(request["allocation"])
    assert parse_portfolio(request) == request
    body = valid_portfolio()
    body["allocation"]["top_groups"] = 3
    grouped = parse_portfolio(body)
    assert grouped["allocation"]["group_score"] == "mean"
    assert grouped["allocation"]["per_group"] is None
    assert parse_portfolio(grouped) == grouped
    assert "top 3 sectors by mean score" in construction(grouped)


def test_a_search_varies_the_group_ranking():
    body = valid_portfolio()
    body["allocation"].update(top_groups=2, per_group=1)
    base = parse_portfolio(body)
    domains = space(base)
    assert domains["top_groups"].default == 2 and domains["per_group"].default == 1
    assert domains["group_score"].choices == ("mean", "median")
    point = apply(base, {"top_groups": 3, "per_group": 2, "group_score": "median"})
    assert point["allocation"]["top_groups"] == 3
    assert point["allocation"]["group_score"] == "median"
    offered = {entry["name"] for entry in suggested_space(base)}
    assert {"top_groups", "per_group"} <= offered
    plain = parse_portfolio(valid_portfolio())
    assert "top_groups" not in {entry["name"] for entry in suggested_space(plain)}
    with pytest.raises(RequestError) as caught:
        apply(plain, {"per_group": 2})
    assert caught.value.field == "grid.per_group"
