"""Other tickers in a portfolio's ranking (docs/portfolios.md, "Other tickers and higher
timeframes"): the score and the filter may ``ref`` another catalog ticker and read ``tf``
periods, without look-ahead (a property test: no decision's weights move when any later bar
of a ticker held or of a referenced one changes), with an index regime filter that empties
the book exactly when the index is below its average, the referenced files counted in the
data hash, and an unknown ticker a 400 naming the text's field."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import data
from engine import Bars
from engine.portfolio import rebalance_schedule
from kinds.portfolios.compute import _targets, simulate
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.universe import aligned, check_universe, load_universe
from tests.demo_data import copy_demo_data
from tests.portfolios.support import DEMO, valid_portfolio
from work.errors import RequestError

FIELDS = ("open", "high", "low", "close", "volume")
WARM = 40
"""Bars of each ticker's history before the window (the indicators warm up on them)."""

SCORE = 'roc(close, $n) - ref("IDX", roc(close, $n))'
FILTER = (
    'ref("IDX", close) > ref("IDX", sma(close, 5)) or tf("1w", close) > tf("1w", sma(close, 2))'
    ' and ref("IDX", tf("1w", close)) > 0'
)
"""A relative-strength score and a regime-or-trend filter: every way a ranking reads other
bars (ref, tf, and each inside the other)."""


def _bars(rng: np.random.Generator, first: str, n: int, skip: float = 0.0) -> Bars:
    """``n`` daily bars stamped 21:00 UTC on weekdays from ``first``, a share ``skip`` of
    them missing (a ticker's own gaps)."""
    days = pd.bdate_range(first, periods=int(n / (1 - skip)) + 1)
    days = days[rng.random(len(days)) >= skip][:n]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
    open_ = close * (1 + rng.normal(0, 0.01, len(days)))
    high = np.maximum(close, open_) * 1.01
    low = np.minimum(close, open_) * 0.99
    stamps = (days + pd.Timedelta(hours=21)).values.astype("datetime64[s]")
    return Bars(stamps, open_, high, low, close, rng.lognormal(10, 1, len(days)).round())


def _redrawn(bars: Bars, cut: np.datetime64, rng: np.random.Generator) -> Bars:
    """``bars`` with every value of the bars stamped after ``cut`` redrawn."""
    later = bars.timestamps > cut
    other = _bars(rng, "2000-01-03", len(bars))
    return Bars(
        bars.timestamps, *(np.where(later, getattr(other, f), getattr(bars, f)) for f in FIELDS)
    )


def _history(ticker: str, bars: Bars) -> data.History:
    return data.History(bars, WARM, len(bars), "", ticker, Path(f"{ticker}.csv"))


def _universe(own: dict[str, Bars], index: Bars, sectors: tuple[str, ...]):
    universe, _ = aligned([_history(ticker, bars) for ticker, bars in own.items()])
    return replace(universe, sectors=sectors, references={"IDX": index})


def _decisions(request: dict, universe) -> tuple[np.ndarray, np.ndarray]:
    """(each bar's decided target weights, the simulated weights at each close)."""
    decide = rebalance_schedule(universe.days, request["rebalance"]["schedule"], None)
    return _targets(request, universe, decide), simulate(request, universe).weights


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    at=st.floats(0.0, 0.98),
    changed=st.sampled_from(["IDX", "AAA", "BBB", "CCC", "DDD"]),
    weighting=st.sampled_from(["equal", "score", "inverse_volatility"]),
    groups=st.booleans(),
)
def test_no_decision_moves_when_a_later_bar_of_a_held_or_referenced_ticker_changes(
    seed, at, changed, weighting, groups
):
    """The weights decided at bar t, and those held at its close, are the same whatever
    any bar stamped after t holds, of a universe ticker or of the ticker the score and the
    filter ``ref`` (with and without a group ranking)."""
    rng = np.random.default_rng(seed)
    own = {t: _bars(rng, "2020-01-01", 160, skip=0.05) for t in ("AAA", "BBB", "CCC", "DDD")}
    index = _bars(rng, "2019-11-04", 180, skip=0.1)
    sectors = ("Energy", "Energy", "Technology", "Technology")
    allocation = {"method": "rank", "score": SCORE, "filter": FILTER, "top_n": 2}
    allocation["weighting"] = weighting
    if groups:
        allocation.update(top_groups=1, per_group=1 if weighting == "equal" else None)
    request = parse_portfolio(
        valid_portfolio(
            tickers=list(own),
            allocation=allocation,
            rebalance={"schedule": "daily"},
            params={"n": 5},
        )
    )
    universe = _universe(own, index, sectors)
    t = int(at * (universe.days.size - 1))
    cut = np.datetime64(universe.days[t], "s") + np.timedelta64(21, "h")
    if changed == "IDX":
        index = _redrawn(index, cut, rng)
    else:
        own[changed] = _redrawn(own[changed], cut, rng)
    before = _decisions(request, universe)
    after = _decisions(request, _universe(own, index, sectors))
    for got, want in zip(after, before, strict=True):
        np.testing.assert_array_equal(got[: t + 1], want[: t + 1])
    held = before[0].sum(axis=1) > 0
    assert held.any() and not held.all()  # the filter does act: the property has teeth


def _demo_request(**allocation) -> dict:
    body = valid_portfolio(params={})
    body["allocation"] = {"method": "rank", "score": "roc(close, 20)", "top_n": 2, **allocation}
    body["rebalance"] = {"schedule": "weekly"}
    return parse_portfolio(body)


def test_an_index_regime_filter_holds_cash_exactly_when_the_index_is_below_its_average():
    """filter ``ref("DEMOIX", close) > ref("DEMOIX", sma(close, 100))``: each weekly
    decision is fully invested on the days the demo index (its own file, by pandas) closed
    above its 100-day average, and all cash on the others."""
    request = _demo_request(filter='ref("DEMOIX", close) > ref("DEMOIX", sma(close, 100))')
    universe = load_universe(request)
    decide = rebalance_schedule(universe.days, "weekly", None)
    invested = _targets(request, universe, decide)[decide].sum(axis=1) > 0.999
    table = pd.read_csv(data.load_catalog().resolve("DEMOIX"), index_col="Date")
    above = table["Close"] > table["Close"].rolling(100).mean()
    days = [str(day) for day in universe.days[decide].astype("datetime64[D]")]
    want = above.reindex(days).to_numpy(dtype=bool)
    np.testing.assert_array_equal(invested, want)
    assert 0 < want.sum() < want.size  # both regimes happen in the window


def test_the_data_hash_counts_the_referenced_files(tmp_path):
    """A ranking that refs DEMOIX has another data hash than the same universe without the
    ref, and it changes when DEMOIX's file does (the plain one does not)."""
    folder = copy_demo_data(tmp_path / "data")
    plain = _demo_request()
    refs = _demo_request(filter='ref("DEMOIX", close) > 0')
    hashes = [load_universe(r, folder).data_hash for r in (plain, refs)]
    assert hashes[0] != hashes[1]
    path = folder / "DEMOIX.csv"
    lines = path.read_text().splitlines()
    lines[-1] = lines[-1].rsplit(",", 1)[0] + ",1"  # the last bar's volume
    path.write_text("\n".join(lines) + "\n")
    assert load_universe(plain, folder).data_hash == hashes[0]
    assert load_universe(refs, folder).data_hash not in hashes


@pytest.mark.parametrize("side", ["score", "filter"])
def test_an_unknown_referenced_ticker_is_refused_naming_its_text(side, tmp_path):
    """At submission (the catalog check) and in the Job (the load): a 400 naming
    ``allocation.<side>`` and the ticker."""
    texts = {"score": "roc(close, 20)", "filter": None}
    texts[side] = 'ref("NOPE", close)' if side == "score" else 'ref("NOPE", close) > 0'
    request = _demo_request(score=texts["score"], filter=texts["filter"])
    for check in (lambda: check_universe(request, None, 512), lambda: load_universe(request)):
        with pytest.raises(RequestError) as caught:
            check()
        assert caught.value.field == f"allocation.{side}"
        assert "'NOPE', which is not in the data catalog" in caught.value.message


def test_a_referenced_file_that_fails_its_checks_is_refused_naming_its_text(tmp_path):
    folder = copy_demo_data(tmp_path / "data")
    shutil.copy(folder / "ACME.csv", folder / "DEMOIX.csv")  # ACME's bars, then broken
    with (folder / "DEMOIX.csv").open("a") as file:
        file.write("2025-01-02,1,1,1,oops,1,1\n")
    request = _demo_request(filter='ref("DEMOIX", close) > 0')
    with pytest.raises(RequestError) as caught:
        load_universe(request, folder)
    assert caught.value.field == "allocation.filter"
    assert "DEMOIX, whose data file is invalid" in caught.value.message


def test_the_submission_answers_a_400_naming_the_score(demo_portfolio_app):
    """Through ``POST /api/portfolios``: an unknown ref is the 400 of the field; a known one
    is accepted."""
    client = demo_portfolio_app.test_client()
    bad = valid_portfolio(allocation={"method": "rank", "score": 'ref("SPX", close)', "top_n": 2})
    answer = client.post("/api/schema/portfolio/validate", json={**bad, "params": {}})
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "allocation.score"
    good = valid_portfolio(tickers=list(DEMO))
    good["allocation"]["filter"] = 'ref("DEMOIX", close) > ref("DEMOIX", sma(close, 200))'
    assert client.post("/api/schema/portfolio/validate", json=good).status_code == 200
