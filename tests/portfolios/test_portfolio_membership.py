"""Point-in-time universes: with ``membership`` a portfolio ranks and holds, on each day,
only the tickers that were members of the index then; one leaving is sold at the open of
its first non-member day (docs/portfolios.md, "Delistings and point-in-time universes")."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinds.portfolios.compute import _eligibility, _targets, build_result, simulate
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.universe import check_universe, load_universe
from tests.engine.portfolio_universe import weekdays
from work.errors import RequestError

TICKERS = ("AAA", "BBB", "CCC", "DDD", "EEE")
N_DAYS = 160
DAYS = weekdays("2024-01-01", N_DAYS)
FIRST = date(2024, 1, 1)


def _write_bars(folder: Path) -> None:
    """Five random walks on weekdays (seeded), an index IX of the same days."""
    rng = np.random.default_rng(7)
    entries = {}
    for k, ticker in enumerate((*TICKERS, "IX")):
        close = np.round(50 * np.exp(np.cumsum(rng.normal(0.0005 * k, 0.02, N_DAYS))), 2)
        open_ = np.round(close * np.exp(rng.normal(0, 0.005, N_DAYS)), 2)
        lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
        for day, o, c in zip(DAYS.astype(str), open_, close, strict=True):
            lines.append(f"{day},{o:.2f},{max(o, c):.2f},{min(o, c):.2f},{c:.2f},{c:.2f},1000")
        (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n")
        entries[ticker] = {"file": f"{ticker}.csv", "name": ticker, "synthetic": True}
    entries["IX"].update(index=True, members="IX.members.csv")
    (folder / "catalog.json").write_text(json.dumps(entries))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder (its members file is rewritten by each test)."""
    folder = tmp_path_factory.mktemp("pit")
    _write_bars(folder)
    return folder


def _request(**fields) -> dict:
    body = {
        "tickers": list(TICKERS),
        "start_date": str(DAYS[0]),
        "end_date": str(DAYS[-1]),
        "fee_rate": 0.001,
        "membership": "IX",
        "allocation": {"method": "rank", "score": "roc(close, 5)", "top_n": 2},
        "rebalance": {"schedule": "weekly"},
    }
    return parse_portfolio(body | fields)


def _members_file(folder: Path, rows: list[tuple[str, int, int | None]]) -> None:
    """``rows``: (ticker, first day's offset, offset of the day it left or None)."""
    lines = ["ticker,from,to"]
    for ticker, start, end in rows:
        to = "" if end is None else str(FIRST + timedelta(days=end))
        lines.append(f"{ticker},{FIRST + timedelta(days=start)},{to}")
    (folder / "IX.members.csv").write_text("\n".join(lines) + "\n")


@st.composite
def memberships(draw) -> list[tuple[str, int, int | None]]:
    """One or two non-overlapping intervals per ticker (some tickers never members)."""
    rows = []
    for ticker in TICKERS:
        cuts = sorted(draw(st.lists(st.integers(0, 230), min_size=1, max_size=4, unique=True)))
        for start, end in zip(cuts[::2], [*cuts[1::2], None], strict=False):
            rows.append((ticker, start, end))
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=memberships(), schedule=st.sampled_from(["daily", "weekly"]))
def test_a_point_in_time_portfolio_never_ranks_or_holds_a_non_member(folder, rows, schedule):
    """Random membership files: no ticker is eligible (ranked) on a day it is not a member,
    no target is set for one leaving at the fill, no share is held on a non-member day,
    and a holding of a leaver is sold (reason ``left the index``) on its first day out."""
    _members_file(folder, rows)
    request = _request(rebalance={"schedule": schedule})
    universe = load_universe(request, folder)
    members = universe.members
    eligible, _ = _eligibility(request, universe)
    assert not (eligible & ~members).any()
    decide = np.ones(len(DAYS), dtype=bool)
    targets = _targets(request, universe, decide)
    assert not (targets[:-1] > 0)[~members[1:]].any()
    result = simulate(request, universe)
    assert not (result.shares != 0)[~members].any()
    left = ~members[1:] & members[:-1] & (result.shares[:-1] != 0)
    doc = build_result("p", request, universe, result, 10_000)
    sold = {(o["date"], o["ticker"]) for o in doc["orders"] if o.get("reason")}
    for bar, column in zip(*np.nonzero(left), strict=True):
        assert (str(DAYS[bar + 1]), TICKERS[column]) in sold


def test_the_membership_file_is_in_the_data_hash(folder):
    """The same request with another membership file has another data_hash; without
    ``membership`` the hash is that of the tickers' files only."""
    _members_file(folder, [(t, 0, None) for t in TICKERS])
    first = load_universe(_request(), folder).data_hash
    _members_file(folder, [(t, 3, 200) for t in TICKERS])
    second = load_universe(_request(), folder).data_hash
    plain = _request()
    del plain["membership"]
    assert len({first, second, load_universe(plain, folder).data_hash}) == 3


def test_a_bad_membership_file_is_a_request_error_naming_the_field_the_file_and_line(folder):
    """At submission and in the Job: ``membership``, 'IX.members.csv line 3'."""
    (folder / "IX.members.csv").write_text("ticker,from,to\nAAA,2024-01-01,\nBBB,someday,\n")
    for check in (
        lambda: check_universe(_request(), folder, 512),
        lambda: load_universe(_request(), folder),
    ):
        with pytest.raises(RequestError) as caught:
            check()
        assert caught.value.field == "membership"
        assert "IX.members.csv line 3: from 'someday'" in caught.value.message


def test_the_list_and_page_name_the_index_and_the_audit():
    """The construction phrases end with the point-in-time index and the audit when set."""
    from kinds.portfolios.describe import construction

    assert construction(_request(survivorship_audit=True))[-2:] == [
        "members of IX",
        "survivorship audit",
    ]
    plain = _request()
    del plain["membership"]
    assert "survivorship audit" not in construction(plain)
    assert not any(phrase.startswith("members of") for phrase in construction(plain))
