"""A run whose window holds a ticker's events applies them to its position (docs/execution.md,
"Corporate actions on a position"), on a made-up ticker: EVTS is the web tests' TESTCO
zig-zag doubled before a 2:1 split at its 60th bar, with a dividend before and one after the
split. Through the API and a Job on MariaDB and the real test Redis; and a sweep's points
equal their runs alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

import data
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from kinds.runs.kind import RUN
from tests.web.support import TICKER, app_with_schema, jobs_here, serve, write_data_dir
from work.lifecycle import run_item
from work.status import RunStatus

EVENTS_TICKER = "EVTS"
SPLIT_AT = 60
EVENTS = b"date,type,value\n2021-02-15,dividend,0.5\n2021-03-29,split,2\n2021-05-10,dividend,0.25\n"
"""The 30th bar's dividend, the 60th's split (2021-03-29), the 90th's dividend."""
BODY = {
    "ticker": EVENTS_TICKER,
    "rule_type": "SMA_CROSS",
    "params": {"fast": 3, "slow": 8},
    "start_date": "2021-01-04",
    "end_date": "2021-06-18",
    "size_type": "percent",
    "position_size": 100,
    "price_adjustment": "split",
    "charts": False,
}


def _with_events(folder: Path) -> Path:
    """``folder`` (``write_data_dir``) with EVTS: TESTCO's bars, prices doubled before the
    split's bar, and its events file."""
    lines = (folder / f"{TICKER}.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        day, *prices, volume = line.split(",")
        factor = 2.0 if i < SPLIT_AT else 1.0
        out.append(",".join([day, *(f"{float(p) * factor:.2f}" for p in prices), volume]))
    data.register_csv(
        ("\n".join(out) + "\n").encode(), EVENTS_TICKER, data_dir=folder, events=EVENTS
    )
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return _with_events(write_data_dir(tmp_path / "data"))


@pytest.mark.mysql
@pytest.mark.redis
class TestThroughTheApi:
    """POST /api/runs, the run's Job in this process, GET its stored result."""

    @pytest.fixture
    def app(self, mysql_url: str, redis_url: str, folder: Path, monkeypatch) -> Iterator[Flask]:
        with contextmanager(jobs_here)(monkeypatch, mysql_url, folder):
            yield from serve(app_with_schema(mysql_url, redis_url, folder))

    def _result(self, app: Flask, body: dict) -> dict:
        client = app.test_client()
        answer = client.post("/api/runs", json=body).get_json()
        assert answer["status"] == RunStatus.PENDING, answer
        from kinds.runs.store import get_run
        from web.db import get_database

        with get_database(app).sessionmaker() as session:
            payload = json.loads(get_run(session, answer["run_id"]).request_json)
        assert run_item(RUN, payload)["status"] == RunStatus.SUCCEEDED
        return client.get(f"/api/runs/{answer['run_id']}/result.json").get_json()

    def test_a_run_on_a_ticker_with_events_reports_them_and_its_trades_count_them(self, app):
        """The stored result lists the split and the dividends that met the position; a
        trade held across the split shows twice the shares at half the entry price, and the
        trades' PnL (dividends included) sums to the final equity's gain. The same run on
        TESTCO, without events, stores no ``events_applied`` and no ``dividends``."""
        result = self._result(app, BODY)
        applied = result["events_applied"]
        assert {event["type"] for event in applied} == {"split", "dividend"}
        (split,) = [event for event in applied if event["type"] == "split"]
        assert split["date"].startswith("2021-03-29") and split["value"] == 2.0
        assert split["shares_after"] == 2 * split["shares_before"] > 0 and split["cash"] == 0.0
        for event in applied:
            if event["type"] == "dividend":
                assert event["cash"] == pytest.approx(event["value"] * event["shares_before"])
        trades = result["trades"]
        across = [t for t in trades if t["entry_timestamp"] < split["date"] < t["exit_timestamp"]]
        assert len(across) == 1 and across[0]["size"] == split["shares_after"]
        assert sum(t["dividends"] for t in trades) == pytest.approx(
            sum(e["cash"] for e in applied if e["type"] == "dividend")
        )
        gain = result["equity_curve"]["equity"][-1] - 100_000.0
        assert sum(t["pnl_abs"] for t in trades) == pytest.approx(gain, abs=1e-6)
        plain = self._result(app, {**BODY, "ticker": TICKER, "price_adjustment": None})
        assert "events_applied" not in plain
        assert plain["trades"] and "dividends" not in plain["trades"][0]


@pytest.mark.parametrize("one_pass", [False, True], ids=["numpy", "compiled"])
def test_a_swept_point_with_events_equals_its_run_alone(folder, monkeypatch, one_pass):
    """A sweep over EVTS (raw prices for the rule, the events applied to the position):
    every combination's stored metrics equal its own run's, which applied events."""
    from engine import compiled
    from kinds.sweeps.contract import (
        chunk_payload,
        combo_run_request,
        parse_chunk,
        parse_sweep_request,
        plan_chunks,
    )
    from kinds.sweeps.search_sweep import evaluate_chunk
    from metrics import SWEEP_METRIC_KEYS

    monkeypatch.setenv("DATA_DIR", str(folder))
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0 if one_pass else 10**18)
    sweep = {
        k: v for k, v in BODY.items() if k not in ("params", "charts", "ticker", "price_adjustment")
    }
    body = {**sweep, "tickers": [EVENTS_TICKER], "grid": {"fast": [3, 5], "slow": [8, 13]}}
    request = parse_sweep_request(body)
    (chunk,) = plan_chunks(request.grid.combos, request.tickers, 50)
    rows = evaluate_chunk(parse_chunk(chunk_payload(request, chunk))).rows
    applied = 0
    for row in rows:
        run = combo_run_request(request.to_dict(), EVENTS_TICKER, row["params"])
        result = execute(parse_request({**run, "charts": False}))
        applied += bool(result.events_applied)
        assert all(
            row[k] == result.metrics[k] or row[k] is result.metrics[k] is None
            for k in SWEEP_METRIC_KEYS
        )
    assert applied == len(rows)


@pytest.mark.parametrize(
    "order",
    [
        None,
        {"type": "limit", "limit": "close * (1 - $k/100)", "params": {"k": 0.1}, "valid_bars": 3},
    ],
    ids=["market", "limit"],
)
def test_a_position_aware_exit_reads_its_returns_across_a_split(folder, monkeypatch, order):
    """EVTS split-adjusted is TESTCO (its prices doubled before the split), so a rule whose
    exit reads the position's own return and age closes its trades on the same bars on
    both: across the split the entry price is halved with the shares doubled, and the
    return and its best so far go on from the bars before it; in the market walk and in the
    entry-order walk alike."""
    monkeypatch.setenv("DATA_DIR", str(folder))
    rule = {
        "rule_type": "EXPR",
        "params": {
            "entry": "crossover(close, sma(close, 5))",
            "exit": "max_open_return - open_return >= 8 or bars_held >= 30",
        },
        "fee_rate": 0.0,
    }
    body = {**BODY, **rule, **({} if order is None else {"entry_order": order})}
    with_split = execute(parse_request(body))
    plain = execute(parse_request({**body, "ticker": TICKER, "price_adjustment": None}))
    assert any(event["type"] == "split" for event in with_split.events_applied)
    exits = [(t["entry_timestamp"], t["exit_timestamp"]) for t in with_split.trades]
    assert exits == [(t["entry_timestamp"], t["exit_timestamp"]) for t in plain.trades]
    split_day = "2021-03-29"
    assert any(entry < split_day < exit_ for entry, exit_ in exits)


def test_a_size_in_shares_on_adjusted_prices_buys_the_traded_shares_of_its_day(folder, monkeypatch):
    """With ``price_adjustment`` a size in shares counts the adjusted series' shares: 100
    shares before EVTS's 2:1 split are 50 as traded then (100 after it), so the run buys
    what the same size buys on TESTCO, its prices as adjusted, and its trades match."""
    monkeypatch.setenv("DATA_DIR", str(folder))
    body = {**BODY, "size_expr": {"expr": "100", "unit": "shares"}}
    with_split = execute(parse_request(body))
    plain = execute(parse_request({**body, "ticker": TICKER, "price_adjustment": None}))
    before = [b for b in with_split.signals["buys"] if b["timestamp"][:10] < "2021-03-29"]
    assert before and all(b["size"] == 50 for b in before)
    sizes = [(t["entry_timestamp"], t["exit_timestamp"], t["size"]) for t in with_split.trades]
    assert sizes == [(t["entry_timestamp"], t["exit_timestamp"], t["size"]) for t in plain.trades]


TWO_SPLITS_TICKER = "EVT2"
TWO_SPLITS_AT = (50, 55)
"""Two 2:1 splits inside one up-leg of TESTCO's zig-zag, so one trade holds through both."""


def _with_two_splits(folder: Path) -> list[str]:
    """``folder`` with EVT2: TESTCO's bars, prices ×4 before the first split's bar and ×2
    before the second's, and its events file; the two split days."""
    lines = (folder / f"{TICKER}.csv").read_text(encoding="utf-8").splitlines()
    out, days = [lines[0]], []
    for i, line in enumerate(lines[1:]):
        day, *prices, volume = line.split(",")
        factor = 2.0 ** sum(i < at for at in TWO_SPLITS_AT)
        out.append(",".join([day, *(f"{float(p) * factor:.2f}" for p in prices), volume]))
        if i in TWO_SPLITS_AT:
            days.append(day)
    events = "date,type,value\n" + "".join(f"{day},split,2\n" for day in days)
    data.register_csv(
        ("\n".join(out) + "\n").encode(), TWO_SPLITS_TICKER, data_dir=folder, events=events.encode()
    )
    return days


def test_a_position_aware_exit_reads_its_best_return_across_two_splits(folder, monkeypatch):
    """A trade held through two splits reads its best return on every bar at the entry
    price of that bar's units, so EVT2 split-adjusted (TESTCO) closes its trades on TESTCO's
    bars: the bars before the first split are not read again at the twice-divided price."""
    monkeypatch.setenv("DATA_DIR", str(folder))
    first, second = _with_two_splits(folder)
    body = {
        **BODY,
        "ticker": TWO_SPLITS_TICKER,
        "rule_type": "EXPR",
        "params": {
            "entry": "crossover(close, sma(close, 5))",
            "exit": "max_open_return - open_return >= 8 or bars_held >= 30",
        },
        "fee_rate": 0.0,
    }
    with_splits = execute(parse_request(body))
    plain = execute(parse_request({**body, "ticker": TICKER, "price_adjustment": None}))
    assert [e["type"] for e in with_splits.events_applied] == ["split", "split"]
    exits = [(t["entry_timestamp"], t["exit_timestamp"]) for t in with_splits.trades]
    assert exits == [(t["entry_timestamp"], t["exit_timestamp"]) for t in plain.trades]
    assert any(entry < first and second < exit_ for entry, exit_ in exits)
