"""Splits and dividends in a portfolio request: the universe passes each ticker's events to
the core, the result lists what acted (``events_applied``) and counts the dividends in the
contributions, and ``price_adjustment`` makes the ranking read adjusted prices while the book
trades the traded ones (docs/execution.md, "Portfolios", "Splits and dividends")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

from kinds.portfolios.compute import build_result, simulate, survivors
from kinds.portfolios.describe import construction
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.universe import BYTES_PER_ADJUSTED_BAR, estimated_mb, load_universe
from tests.portfolios.support import execute_item, valid_portfolio
from tests.web.support import app_with_schema, serve
from work.errors import RequestError

DAYS = [f"2024-01-{d:02d}" for d in (2, 3, 4, 5, 8, 9, 10, 11, 12, 15)]
HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"
AAA_EVENTS = (
    "date,type,value\n2024-01-04,dividend,1\n2024-01-08,split,4\n2024-01-10,dividend,0.25\n"
)
BBB_EVENTS = "date,type,value\n2024-01-05,dividend,0.5\n"


def _csv(prices: list[float]) -> str:
    rows = [
        f"{day},{p:.2f},{p:.2f},{p:.2f},{p:.2f},{p:.2f},1000\n"
        for day, p in zip(DAYS, prices, strict=True)
    ]
    return HEADER + "".join(rows)


def write_universe(folder: Path, events: bool = True) -> Path:
    """AAA at 100 that splits 4:1 on 2024-01-08 (25 after) and pays 1.00 on 01-04 and 0.25
    on 01-10; BBB at 50 that pays 0.50 on 01-05 (no events files with ``events`` False)."""
    (folder / "AAA.csv").write_text(_csv([100.0] * 4 + [25.0] * 6))
    (folder / "BBB.csv").write_text(_csv([50.0] * 10))
    entries = {
        "AAA": {"file": "AAA.csv", "name": "A", "synthetic": True},
        "BBB": {"file": "BBB.csv", "name": "B", "synthetic": True},
    }
    if events:
        (folder / "AAA.events.csv").write_text(AAA_EVENTS)
        (folder / "BBB.events.csv").write_text(BBB_EVENTS)
        entries["AAA"]["events"] = "AAA.events.csv"
        entries["BBB"]["events"] = "BBB.events.csv"
    (folder / "catalog.json").write_text(json.dumps(entries))
    return folder


def _body(**fields) -> dict:
    """Long the highest close, short the lowest, decided once (bar 0, filled at bar 1)."""
    body = {
        "tickers": ["AAA", "BBB"],
        "start_date": DAYS[0],
        "end_date": DAYS[-1],
        "initial_capital": 10_000,
        "fee_rate": 0.001,
        "allocation": {"method": "rank", "score": "close", "top_n": 1, "short_n": 1},
        "rebalance": {"schedule": "bars", "every_n_bars": 100},
    }
    return body | fields


def _result(folder: Path, **fields) -> dict:
    request = parse_portfolio(_body(**fields))
    universe = load_universe(request, folder)
    return build_result("p", request, universe, simulate(request, universe), 100)


def test_the_long_receives_and_the_short_pays_to_the_cent(tmp_path: Path):
    """Bar 1: short 200 BBB at 50 (fee 10), buy 100 AAA at 100 (fee 10): cash 9,980. AAA
    pays 100, BBB charges 200 x 0.50, AAA's 100 shares become 400 (no jump: 9,980 on both
    sides of the split) and pay 400 x 0.25: the equity ends at 10,080."""
    result = _result(write_universe(tmp_path))
    assert result["events_applied"] == [
        {
            "date": "2024-01-04",
            "ticker": "AAA",
            "type": "dividend",
            "value": 1.0,
            "shares_before": 100,
            "shares_after": 100,
            "cash": 100.0,
        },
        {
            "date": "2024-01-05",
            "ticker": "BBB",
            "type": "dividend",
            "value": 0.5,
            "shares_before": -200,
            "shares_after": -200,
            "cash": -100.0,
        },
        {
            "date": "2024-01-08",
            "ticker": "AAA",
            "type": "split",
            "value": 4.0,
            "shares_before": 100,
            "shares_after": 400,
            "cash": 0.0,
        },
        {
            "date": "2024-01-10",
            "ticker": "AAA",
            "type": "dividend",
            "value": 0.25,
            "shares_before": 400,
            "shares_after": 400,
            "cash": 100.0,
        },
    ]
    equity = [round(e, 6) for e in result["equity"]]
    assert equity == [10_000.0, 9_980.0, 10_080.0, 9_980.0, 9_980.0, 9_980.0] + [10_080.0] * 4
    pnl = {row["ticker"]: round(row["pnl"], 6) for row in result["contribution"]}
    assert pnl == {"AAA": 190.0, "BBB": -110.0}  # 400 x 25 - 10,010 + 200; -10 - 100
    # the benchmark: 49 AAA (95.10 cash) and 99 BBB (45.05), their dividends and split
    assert round(result["benchmark"]["equity"][-1], 6) == 10_137.65
    assert len(result["orders"]) == 2


def test_without_events_files_the_result_has_no_events_applied(tmp_path: Path):
    """The same bars with no events file: the split is a crash of the long, and the result
    keeps the shape it had before events were applied."""
    result = _result(write_universe(tmp_path, events=False))
    assert "events_applied" not in result
    assert round(result["equity"][4], 6) == 9_980.0 - 7_500.0


def test_price_adjustment_makes_the_ranking_read_adjusted_closes(tmp_path: Path):
    """Ranked daily on ``close``: as traded, AAA (100) is the long until its split makes it
    25 and the book flips; split-adjusted, AAA is 25 throughout, so BBB is the long from the
    first fill and never changes side. Both books trade the traded prices."""
    folder = write_universe(tmp_path)
    daily = {"schedule": "daily"}

    def longs(**fields) -> list[str]:
        request = parse_portfolio(_body(rebalance=daily, **fields))
        universe = load_universe(request, folder)
        shares = simulate(request, universe).shares
        return ["AAA" if row[0] > 0 else "BBB" if row[1] > 0 else "-" for row in shares]

    assert longs() == ["-", "AAA", "AAA", "AAA", "AAA", "BBB", "BBB", "BBB", "BBB", "BBB"]
    assert longs(price_adjustment="split") == ["-"] + ["BBB"] * 9
    result = _result(folder, rebalance=daily, price_adjustment="split")
    assert result["request"]["price_adjustment"] == "split"
    assert {order["price"] for order in result["orders"]} <= {25.0, 50.0, 100.0}


def test_raw_is_stored_as_no_price_adjustment():
    """``raw`` (or null) is left out of the normalised request, which then reads as it did
    before the field existed; the other two are kept."""
    plain = parse_portfolio(valid_portfolio())
    assert "price_adjustment" not in plain
    assert parse_portfolio(valid_portfolio(price_adjustment="raw")) == plain
    assert parse_portfolio(valid_portfolio(price_adjustment=None)) == plain
    total = parse_portfolio(valid_portfolio(price_adjustment="total_return"))
    assert total["price_adjustment"] == "total_return"
    assert construction(total)[-1] == "total-return-adjusted ranking"
    assert not any("adjusted" in phrase for phrase in construction(plain))


@pytest.mark.parametrize("value", ["adjusted", 7, True, ["split"], "SPLIT"])
def test_a_bad_price_adjustment_is_refused_naming_it(value):
    with pytest.raises(RequestError) as caught:
        parse_portfolio(valid_portfolio(price_adjustment=value))
    assert caught.value.field == "price_adjustment"
    assert "raw, split, total_return" in caught.value.message


def test_the_survivors_universe_keeps_the_survivors_events(tmp_path: Path):
    """The audit's survivors (here every ticker: none delisted) carry the events and the
    adjusted bars, so their run equals the request's."""
    folder = write_universe(tmp_path)
    request = parse_portfolio(_body(price_adjustment="split"))
    universe = load_universe(request, folder)
    _, subset = survivors(request, universe)
    assert subset.actions is not None and len(subset.signals) == 2
    ours, theirs = simulate(request, universe), simulate(request, subset)
    assert ours.equity.tobytes() == theirs.equity.tobytes()


def test_a_price_adjustment_counts_its_adjusted_copy_against_the_memory_cap():
    """Each loaded bar costs ``BYTES_PER_ADJUSTED_BAR`` more with a ``price_adjustment``."""
    start, end, bars = date(2020, 1, 1), date(2020, 12, 31), [5_000, 7_000]
    plain = estimated_mb(2, start, end, loaded_bars=bars)
    adjusted = estimated_mb(2, start, end, loaded_bars=bars, adjusted=True)
    assert adjusted - plain == pytest.approx(12_000 * BYTES_PER_ADJUSTED_BAR / 2**20)


@pytest.fixture
def events_app(
    sqlite_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app on SQLite and the test Redis over a data folder with events files (the
    Job's DATA_DIR too)."""
    folder = write_universe(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(folder))
    yield from serve(app_with_schema(sqlite_url, redis_url, folder))


def test_the_api_stores_the_events_applied_and_refuses_a_bad_adjustment(events_app: Flask):
    """POST, a Job's execution, GET: the stored result lists the four events (a short pays
    its dividends) and keeps ``price_adjustment`` in its request; a bad value is a 400
    naming the field."""
    client = events_app.test_client()
    bad = client.post("/api/portfolios", json=_body(price_adjustment="dividends"))
    assert bad.status_code == 400
    assert bad.get_json()["field"] == "price_adjustment"
    answer = client.post("/api/portfolios", json=_body(price_adjustment="total_return"))
    assert answer.status_code == 202, answer.get_json()
    portfolio_id = answer.get_json()["portfolio_id"]
    execute_item(events_app, portfolio_id)
    stored = client.get(f"/api/portfolios/{portfolio_id}").get_json()
    assert stored["status"] == "SUCCEEDED"
    assert stored["request"]["price_adjustment"] == "total_return"
    result = stored["result"]
    applied = result["events_applied"]
    assert [(e["ticker"], e["type"]) for e in applied] == [
        ("AAA", "dividend"),
        ("BBB", "dividend"),
        ("AAA", "split"),
        ("AAA", "dividend"),
    ]
    # total-return ranked, AAA (about 24.75 adjusted) is the short: it pays its dividends
    assert applied[0]["shares_before"] < 0 and applied[0]["cash"] < 0
    assert applied[1]["shares_before"] > 0 and applied[1]["cash"] > 0
    assert applied[2]["shares_after"] == 4 * applied[2]["shares_before"]


def test_a_volatility_target_reads_the_adjusted_closes(tmp_path: Path):
    """A 50 % volatility target over 5 returns, decided daily: as traded, AAA's split is a
    -75 % return that makes the book look volatile for five bars, and the target scales it
    down to under a fifth invested; split-adjusted, the same moves as BBB's (about 25 % a
    year) leave the book fully invested."""
    moves = [1.0, 1.01, 0.99, 1.02, 0.98] * 4
    closes = [100.0 * float(np.prod(moves[: i + 1])) for i in range(20)]
    days = [str(np.datetime64("2024-01-01") + i) for i in range(20)]
    split = [c / 4 if i >= 12 else c for i, c in enumerate(closes)]
    for name, prices in (("AAA", split), ("BBB", closes)):
        rows = "".join(
            f"{d},{p:.4f},{p:.4f},{p:.4f},{p:.4f},{p:.4f},1000\n"
            for d, p in zip(days, prices, strict=True)
        )
        (tmp_path / f"{name}.csv").write_text(HEADER + rows)
    (tmp_path / "AAA.events.csv").write_text(f"date,type,value\n{days[12]},split,4\n")
    entries = {
        "AAA": {"file": "AAA.csv", "name": "A", "synthetic": True, "events": "AAA.events.csv"},
        "BBB": {"file": "BBB.csv", "name": "B", "synthetic": True},
    }
    (tmp_path / "catalog.json").write_text(json.dumps(entries))
    body = {
        "tickers": ["AAA", "BBB"],
        "start_date": days[0],
        "end_date": days[-1],
        "allocation": {"method": "equal", "target_volatility": 0.5, "risk_lookback": 5},
        "rebalance": {"schedule": "daily"},
    }

    def invested(**fields) -> float:
        request = parse_portfolio(body | fields)
        result = simulate(request, load_universe(request, tmp_path))
        return float(result.weights[14].sum())  # two bars after the split

    assert invested() < 0.2  # 0.18
    assert invested(price_adjustment="split") > 0.99  # whole shares: 0.9996
