"""A run request's ``price_adjustment``: its signals are computed on the bars adjusted by
the ticker's events while the run trades the bars as traded (docs/execution.md, "Adjusted
prices"), on a ticker made for it: SPLT is ACME with every price before 2019-06-03 doubled
and a 2:1 split on that date, so its split-adjusted bars are ACME's bit for bit."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

import data
from data.adjust import total_return_adjusted
from data.events import combined_hash
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import (
    entry_prices_in_window,
    execute,
    load_market_data,
    market_window,
    overlays_in_window,
    signals_in_window,
)
from tests.demo_data import copy_demo_data

SPLIT_DAY = "2019-06-03"
EVENTS = b"date,type,value\n2019-06-03,split,2\n2021-03-01,dividend,0.5\n"
BASE = {
    "ticker": "SPLT",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 30},
    "start_date": "2016-01-01",
    "end_date": "2022-12-31",
    "charts": False,
}


def _doubled_before_the_split(raw: bytes) -> bytes:
    """ACME's file with open, high, low and close doubled before ``SPLIT_DAY`` (and Adj
    Close = Close): what it would have traded at had it split 2:1 that day."""
    rows = list(csv.reader(io.StringIO(raw.decode())))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    for day, *prices, _, volume in rows[1:]:
        factor = 2.0 if day < SPLIT_DAY else 1.0
        scaled = [f"{float(p) * factor:.2f}" for p in prices]
        writer.writerow([day, *scaled, scaled[3], volume])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder: the demo data and SPLT with its events file."""
    folder = copy_demo_data(tmp_path_factory.mktemp("adjusted"))
    raw = _doubled_before_the_split((folder / "ACME.csv").read_bytes())
    data.register_csv(raw, "SPLT", data_dir=folder, events=EVENTS)
    return folder


def _frame(body: dict, folder: Path):
    return market_window(load_market_data(parse_request(body), folder))


def test_no_price_adjustment_and_raw_store_today_s_request_bytes():
    """``raw`` is the default: the stored request has no ``price_adjustment`` key; the other
    names are stored; anything else is a 400 naming the field."""
    plain = parse_request(BASE).to_dict()
    raw = parse_request({**BASE, "price_adjustment": "raw"}).to_dict()
    del plain["run_id"], raw["run_id"]
    assert plain == raw and "price_adjustment" not in plain
    for name in ("split", "total_return"):
        assert parse_request({**BASE, "price_adjustment": name}).to_dict()["price_adjustment"] == (
            name
        )
    with pytest.raises(RequestError) as err:
        parse_request({**BASE, "price_adjustment": "adjusted"})
    assert err.value.field == "price_adjustment"
    assert err.value.message == "must be one of: raw, split, total_return, or null"


def test_split_adjusted_signals_are_the_unsplit_ticker_s_and_fills_are_at_traded_prices(folder):
    """SPLT split-adjusted signals equal ACME's on every bar, so its trades enter and exit on
    ACME's bars, at SPLT's traded prices (twice ACME's before the split). Unadjusted, the
    split's halving is a crash its SMAs cross on."""
    acme = _frame({**BASE, "ticker": "ACME"}, folder)
    split = _frame({**BASE, "price_adjustment": "split"}, folder)
    raw = _frame(BASE, folder)
    params = [BASE["params"]]
    for ours, theirs in zip(
        signals_in_window(split, "SMA_CROSS", params),
        signals_in_window(acme, "SMA_CROSS", params),
        strict=True,
    ):
        np.testing.assert_array_equal(ours, theirs)
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(
            signals_in_window(raw, "SMA_CROSS", params),
            signals_in_window(acme, "SMA_CROSS", params),
            strict=True,
        )
    )
    np.testing.assert_array_equal(split.bars.close, raw.bars.close)  # traded as traded
    ours = execute(parse_request({**BASE, "price_adjustment": "split"}), folder).trades
    theirs = execute(parse_request({**BASE, "ticker": "ACME"}), folder).trades
    assert [(t["entry_timestamp"], t["exit_timestamp"]) for t in ours] == [
        (t["entry_timestamp"], t["exit_timestamp"]) for t in theirs
    ]
    for mine, acme_trade in zip(ours, theirs, strict=True):
        factor = 2.0 if mine["entry_timestamp"] < SPLIT_DAY else 1.0
        assert mine["entry_price"] == acme_trade["entry_price"] * factor


def test_order_prices_and_overlays_are_in_traded_units(folder):
    """A limit at ``close * 0.99`` computed on the adjusted bars is 0.99 × the traded close
    on every bar; the SMA overlays are ACME's doubled before the split."""
    order = {"type": "limit", "limit": "close * 0.99", "params": {}, "valid_bars": 1}
    split = _frame({**BASE, "price_adjustment": "split"}, folder)
    limit, _ = entry_prices_in_window(split, order)
    np.testing.assert_array_equal(limit, split.bars.close * 0.99)
    acme = _frame({**BASE, "ticker": "ACME"}, folder)
    before = split.bars.timestamps < np.datetime64(SPLIT_DAY)
    ours = overlays_in_window(split, "SMA_CROSS", BASE["params"])
    theirs = overlays_in_window(acme, "SMA_CROSS", BASE["params"])
    assert ours.keys() == theirs.keys() and before.any() and not before.all()
    for label, line in theirs.items():
        np.testing.assert_array_equal(ours[label], line * np.where(before, 2.0, 1.0))


def test_total_return_signals_see_the_dividend_adjusted_closes(folder):
    """``total_return`` adjusts by the split and the dividend as of the window's last bar:
    the signal history is ``total_return_adjusted`` of the bars up to it."""
    frame = _frame({**BASE, "price_adjustment": "total_return"}, folder)
    market = load_market_data(parse_request(BASE), folder)
    expected = total_return_adjusted(market.bars.slice(0, market.stop), market.events)
    np.testing.assert_array_equal(frame.history.close, expected.close)
    assert (
        frame.history.close[0]
        != _frame({**BASE, "price_adjustment": "split"}, folder).history.close[0]
    )


def test_a_ref_reads_the_other_ticker_adjusted_by_its_own_events(folder):
    """On ACME, a filter on ``ref("SPLT", …)`` split-adjusted trades as the same filter on
    ``ref("ACME", …)``: SPLT adjusted is ACME."""

    def trades(ticker: str, adjustment: str | None) -> list:
        entry = f'crossover(sma(close, 10), sma(close, 30)) and ref("{ticker}", close) < 60'
        body = {
            **BASE,
            "ticker": "ACME",
            "rule_type": "EXPR",
            "params": {"entry": entry, "exit": "crossunder(sma(close, 10), sma(close, 30))"},
            "price_adjustment": adjustment,
        }
        result = execute(parse_request(body), folder)
        return [(t["entry_timestamp"], t["exit_timestamp"]) for t in result.trades]

    assert trades("SPLT", "split") == trades("ACME", "split") == trades("ACME", None)
    assert trades("SPLT", None) != trades("ACME", None)


def test_the_data_hash_covers_the_events_file_whatever_the_adjustment(folder, tmp_path):
    """A run on a ticker with events records the hash of its CSV and its events file, the
    same with or without an adjustment; the same bars with another events file record
    another hash."""
    raw = (folder / "SPLT.csv").read_bytes()
    expected = combined_hash(hashlib.sha256(raw).hexdigest(), EVENTS)
    for adjustment in (None, "split", "total_return"):
        body = {**BASE, "price_adjustment": adjustment}
        assert execute(parse_request(body), folder).data_hash == expected
    other = copy_demo_data(tmp_path)
    data.register_csv(raw, "SPLT", data_dir=other, events=EVENTS.replace(b"0.5", b"0.6"))
    assert execute(parse_request(BASE), other).data_hash not in (expected, raw_hash(raw))


def raw_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("one_pass", [False, True], ids=["numpy", "compiled"])
def test_a_swept_point_with_price_adjustment_equals_its_run_alone(folder, monkeypatch, one_pass):
    """A sweep over SPLT split-adjusted (with a limit entry, whose prices are in traded
    units): every combination's stored metrics equal its own run's; its signals are not the
    raw run's."""
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
    sweep = {k: v for k, v in BASE.items() if k not in ("params", "charts")}
    body = {**sweep, "params": {}, "grid": {"fast": [5, 10], "slow": [30, 60]}}
    for order in (None, {"type": "limit", "limit": "close * 1.01", "valid_bars": 2}):
        request = parse_sweep_request({**body, "price_adjustment": "split", "entry_order": order})
        (chunk,) = plan_chunks(request.grid.combos, request.tickers, 50)
        rows = evaluate_chunk(parse_chunk(chunk_payload(request, chunk))).rows
        raw = parse_sweep_request({**body, "entry_order": order})
        raw_rows = evaluate_chunk(
            parse_chunk(chunk_payload(raw, plan_chunks(raw.grid.combos, raw.tickers, 50)[0]))
        ).rows
        assert [r["total_return_pct"] for r in rows] != [r["total_return_pct"] for r in raw_rows]
        for row in rows:
            run = combo_run_request(request.to_dict(), "SPLT", row["params"])
            assert run["price_adjustment"] == "split"
            metrics = execute(parse_request({**run, "charts": False})).metrics
            assert all(
                row[k] == metrics[k] or row[k] is metrics[k] is None for k in SWEEP_METRIC_KEYS
            )


def test_two_requests_loaded_in_one_process_each_read_their_own_ref_bars(folder):
    """A web worker loads many requests on one parsed file: a request that refs SPLT
    split-adjusted keeps reading its own SPLT bars after another request refs SPLT as
    traded, on a shorter window (the ``ref`` bars are attached per request)."""

    def body(adjustment: str | None, end: str) -> dict:
        entry = 'crossover(sma(close, 10), sma(close, 30)) and ref("SPLT", close) < 60'
        exit_ = "crossunder(sma(close, 10), sma(close, 30))"
        params = {"entry": entry, "exit": exit_}
        fields = {"ticker": "ACME", "rule_type": "EXPR", "params": params, "end_date": end}
        return {**BASE, **fields, "price_adjustment": adjustment}

    request = parse_request(body("split", "2022-12-31"))

    def signals(history) -> list:
        entries, exits = signals_in_window(market_window(history), "EXPR", [request.params])
        return [entries.tolist(), exits.tolist()]

    first = load_market_data(request, folder)
    alone = signals(first)
    load_market_data(parse_request(body(None, "2019-12-31")), folder)
    assert signals(first) == alone
