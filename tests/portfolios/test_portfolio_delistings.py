"""Delistings in a portfolio: the universe reads each ticker's events file, a held ticker is
closed at its delisting's cash (or its last close), and the result says so (docs/portfolios.md,
"Delistings"); a ticker without a bar in the window (delisted before it, listed after it) is
left out of the universe, as if not requested."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import data
from kinds.portfolios.compute import build_result, simulate, survivors
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.universe import check_universe, estimated_mb, load_universe
from tests.portfolios.support import DEMO, valid_portfolio
from work.errors import RequestError

DAYS = ("2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08")
HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def _csv(bars: list[tuple[float, float]]) -> str:
    rows = [
        f"{day},{o:.2f},{max(o, c):.2f},{min(o, c):.2f},{c:.2f},{c:.2f},1000\n"
        for day, (o, c) in zip(DAYS, bars, strict=False)
    ]
    return HEADER + "".join(rows)


def write_universe(folder: Path, delisting: str | None) -> Path:
    """AAA at 10 on every day; BBB at 20, 20, then open 14 close 13, delisted on
    2024-01-04 (its last bar) with ``delisting`` (an events row's tail) when given."""
    (folder / "AAA.csv").write_text(_csv([(10, 10)] * 5))
    (folder / "BBB.csv").write_text(_csv([(20, 20), (20, 20), (14, 13)]))
    entries = {
        "AAA": {"file": "AAA.csv", "name": "A", "synthetic": True},
        "BBB": {"file": "BBB.csv", "name": "B", "synthetic": True},
    }
    if delisting is not None:
        (folder / "BBB.events.csv").write_text(f"date,type,value\n2024-01-04,{delisting}\n")
        entries["BBB"]["events"] = "BBB.events.csv"
    (folder / "catalog.json").write_text(json.dumps(entries))
    return folder


def _request(**fields) -> dict:
    body = {
        "tickers": ["AAA", "BBB"],
        "start_date": DAYS[0],
        "end_date": DAYS[-1],
        "initial_capital": 10_000,
        "fee_rate": 0.001,
        "slippage_bps": 0,
        "rebalance": {"schedule": "bars", "every_n_bars": 100},
    }
    return parse_portfolio(body | fields)


def _result(folder: Path, **fields) -> dict:
    request = _request(**fields)
    universe = load_universe(request, folder)
    return build_result("p", request, universe, simulate(request, universe), 100)


def test_a_held_delisted_ticker_is_closed_at_its_cash_and_the_result_says_so(tmp_path: Path):
    """249 BBB shares (cash cut) are paid 12.50 at the next day's open less the fee: the
    equity ends at 5,000 + 10.02 + 3,112.50 - 3.1125 = 8,119.41."""
    result = _result(write_universe(tmp_path, "delisting,12.5"))
    assert result["delistings"] == [
        {
            "ticker": "BBB",
            "date": "2024-01-04",
            "closed_on": "2024-01-05",
            "price": 12.5,
            "shares": 249,
        }
    ]
    close = result["orders"][-1]
    assert (close["ticker"], close["side"], close["shares"], close["reason"]) == (
        "BBB",
        "sell",
        249,
        "delisting",
    )
    assert close["fee"] == pytest.approx(3.1125)
    assert round(result["equity"][-1], 2) == 8119.41
    assert "reason" not in result["orders"][0]


def test_a_delisting_without_cash_pays_the_last_close(tmp_path: Path):
    """No cash in the events file: 249 x 13 (BBB's last close), less the fee."""
    result = _result(write_universe(tmp_path, "delisting"))
    assert result["delistings"][0]["price"] == 13.0
    assert round(result["equity"][-1], 2) == round(5000 + 10.02 + 249 * 13 * 0.999, 2)


def test_without_an_events_file_the_result_has_no_delistings_field(tmp_path: Path):
    """A universe without a delisting keeps the result's shape (and bytes) of before."""
    result = _result(write_universe(tmp_path, None))
    assert "delistings" not in result
    assert not any("reason" in order for order in result["orders"])


def test_the_survivorship_audit_sets_the_survivors_only_run_beside_this_one(tmp_path: Path):
    """BBB is delisted: the audit runs AAA alone (all in at 10, less the fee) and shows
    how much the return and CAGR grow without the delisted name."""
    result = _result(write_universe(tmp_path, "delisting,12.5"), survivorship_audit=True)
    audit = result["survivorship"]
    assert audit["delisted"] == ["BBB"]
    assert audit["with_delisted"]["total_return_pct"] == result["metrics"]["total_return_pct"]
    assert round(audit["with_delisted"]["total_return_pct"], 4) == -18.8059
    alone = audit["survivors_only"]["total_return_pct"]
    assert round(alone, 4) == round((999 * 10 + (10_000 - 999 * 10 * 1.001)) / 100 - 100, 4)
    assert audit["difference"]["total_return_pct"] == pytest.approx(alone + 18.805925)
    assert audit["difference"]["cagr_pct"] > 0
    assert result["request"]["survivorship_audit"] is True


def test_the_survivors_universe_is_the_one_a_request_on_them_loads(tmp_path: Path):
    """Dropping the delisted columns in memory gives the result of loading the survivors'
    request from the files, byte for byte."""
    folder = write_universe(tmp_path, "delisting,12.5")
    request = _request()
    narrowed, subset = survivors(request, load_universe(request, folder))
    loaded = load_universe(narrowed, folder)
    assert subset.days.tobytes() == loaded.days.tobytes()
    ours, theirs = simulate(narrowed, subset), simulate(narrowed, loaded)
    assert ours.equity.tobytes() == theirs.equity.tobytes()


def test_the_audit_counts_the_windows_cells_twice_against_the_memory_cap(demo_data_dir):
    """A cap between the estimate of the request and that of its audit (the second run held
    beside the first): the request passes, the same one with the audit is refused."""
    plain = parse_portfolio(valid_portfolio())
    catalog = data.load_catalog(demo_data_dir)
    bars = [data.file_bars(catalog.resolve(t)) for t in plain["tickers"]]
    start, end = (date.fromisoformat(plain[k]) for k in ("start_date", "end_date"))
    once = estimated_mb(len(bars), start, end, loaded_bars=bars)
    twice = estimated_mb(2 * len(bars), start, end, loaded_bars=bars)
    cap = int((once + twice) / 2)
    assert once < cap < twice
    check_universe(plain, demo_data_dir, cap)
    with pytest.raises(RequestError) as caught:
        check_universe(
            parse_portfolio(valid_portfolio(survivorship_audit=True)), demo_data_dir, cap
        )
    assert caught.value.field == "tickers"


def test_a_ticker_delisted_before_the_window_is_left_out_of_it(tmp_path: Path):
    """BBB's last bar is 2024-01-04: over the two days after it the universe is AAA's, with
    no delisting to report, and the data hash still covers BBB's files."""
    folder = write_universe(tmp_path, "delisting,12.5")
    result = _result(folder, start_date=DAYS[3])
    assert result["tickers"] == ["AAA"]
    assert result["timestamps"] == list(DAYS[3:])
    assert "delistings" not in result
    assert result["data_hash"] == _result(folder)["data_hash"]


def test_a_ticker_listed_after_the_window_is_left_out_as_if_not_requested(demo_data_dir):
    """BRWN's first bar is 2020-01-02: a 2019 portfolio with it computes what the same
    portfolio without it computes, its request and data hash aside."""
    window = {"start_date": "2019-01-01", "end_date": "2019-12-31"}
    results = []
    for tickers in ([*DEMO, "BRWN"], list(DEMO)):
        request = parse_portfolio(valid_portfolio(tickers=tickers, **window))
        universe = load_universe(request)
        results.append(build_result("p", request, universe, simulate(request, universe), 100))
    with_brwn, without = (
        {k: v for k, v in r.items() if k not in ("request", "data_hash")} for r in results
    )
    assert with_brwn == without
    assert with_brwn["tickers"] == list(DEMO)


def test_a_window_where_no_ticker_has_a_bar_is_refused_naming_tickers(tmp_path: Path):
    folder = write_universe(tmp_path, None)
    request = _request(start_date="2024-02-01", end_date="2024-02-29")
    with pytest.raises(RequestError) as caught:
        load_universe(request, folder)
    assert (caught.value.field, caught.value.message) == (
        "tickers",
        "no ticker has a bar from 2024-02-01 to 2024-02-29",
    )
