"""adapters.trades: trade records in the platform's schema, and their CSV."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from adapters.trades import TRADE_FIELDS, trade_records, trades_csv
from engine import TradingParams, run
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from tests.adapters.support import DAY, decimals, make_bars, signals

OPEN = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
CLOSE = [10.5, 11.5, 12.5, 13.5, 14.5, 15.5]
PARAMS = TradingParams(fee_rate=0.001, position_size=1000.0)


def _records(
    direction: str = "longonly", entry: int = 0, exit_: int = 3, step: np.timedelta64 = DAY
) -> list[dict]:
    bars = make_bars(CLOSE, open_=OPEN, step=step)
    params = TradingParams(fee_rate=0.001, position_size=1000.0, direction=direction)
    return trade_records(bars, run(bars, signals(6, [entry]), signals(6, [exit_]), params))


def test_trade_fields_are_the_schema_keys_in_order():
    """TRADE_FIELDS lists the schema keys, in the documented order."""
    assert TRADE_FIELDS == (
        "trade_no", "side", "size", "entry_timestamp", "exit_timestamp", "entry_price",
        "exit_price", "entry_fee", "exit_fee", "pnl_abs", "pnl_pct", "holding_period", "is_open",
        "exit_reason",
    )  # fmt: skip


def test_long_trade_record_worked_by_hand():
    """Entry signal on bar 0 fills at bar 1's open (11), exit on bar 3 at bar 4's open (14).

    Size floor(1000 / (11 × 1.001)) = 90; fees 90 × 11 × 0.001 and 90 × 14 × 0.001;
    pnl = 90 × 3 − fees; pnl_pct on the entry notional 990; held 3 days.
    """
    (record,) = _records()
    assert tuple(record) == TRADE_FIELDS
    entry_fee, exit_fee = 90 * 11 * 0.001, 90 * 14 * 0.001
    pnl = 90 * (14 - 11) - entry_fee - exit_fee
    assert record == {
        "trade_no": 1,
        "side": "BUY",
        "size": 90,
        "entry_timestamp": "2024-01-02T21:00:00+00:00",
        "exit_timestamp": "2024-01-05T21:00:00+00:00",
        "entry_price": 11.0,
        "exit_price": 14.0,
        "entry_fee": pytest.approx(entry_fee, rel=1e-12),
        "exit_fee": pytest.approx(exit_fee, rel=1e-12),
        "pnl_abs": pytest.approx(pnl, rel=1e-12),
        "pnl_pct": pytest.approx(pnl / 990 * 100, rel=1e-12),
        "holding_period": 3,
        "is_open": False,
        "exit_reason": "signal",
    }


def test_short_trade_then_open_long_worked_by_hand():
    """longshort: the exit signal opens a short (SELL), the entry signal closes it and opens
    a long that is still open at the end: marked at the last close, exit fee 0."""
    short, long = _records("longshort", entry=3, exit_=0)
    assert (short["trade_no"], short["side"], short["size"]) == (1, "SELL", 90)
    assert (short["entry_price"], short["exit_price"]) == (11.0, 14.0)
    assert short["pnl_abs"] == pytest.approx(-90 * 3 - 90 * 11 * 0.001 - 90 * 14 * 0.001)
    assert short["pnl_pct"] == pytest.approx(short["pnl_abs"] / 990 * 100)
    assert short["is_open"] is False

    size = 71  # floor(1000 / (14 × 1.001))
    assert (long["trade_no"], long["side"], long["size"]) == (2, "BUY", size)
    assert long["entry_timestamp"] == "2024-01-05T21:00:00+00:00"
    assert long["exit_timestamp"] == "2024-01-06T21:00:00+00:00"  # the last bar
    assert (long["exit_price"], long["exit_fee"], long["is_open"]) == (15.5, 0.0, True)
    assert (short["exit_reason"], long["exit_reason"]) == ("signal", "end")
    assert long["pnl_abs"] == pytest.approx(size * (15.5 - 14) - size * 14 * 0.001)
    assert long["holding_period"] == 1


@pytest.mark.parametrize("hours, days", [(1, 0), (12, 1)])
def test_holding_period_counts_whole_days_rounded_down(hours, days):
    """Bars `hours` apart, held 3 bars: 3 h is 0 days, 36 h is 1 day."""
    (record,) = _records(step=np.timedelta64(hours, "h"))
    assert record["holding_period"] == days and type(record["holding_period"]) is int


def test_no_trades_give_no_records():
    """A run without signals has an empty trade list."""
    bars = make_bars(CLOSE)
    assert trade_records(bars, run(bars, signals(6, []), signals(6, []), PARAMS)) == []


def test_records_are_plain_json():
    """Every value is a plain Python type; json.dumps(allow_nan=False) round-trips them."""
    records = _records("longshort", entry=3, exit_=0)
    assert json.loads(json.dumps(records, allow_nan=False)) == records
    assert {type(v) for r in records for v in r.values()} <= {int, str, float, bool}


def test_trades_csv_round_trips_every_value():
    """Header = TRADE_FIELDS, "\\n" endings, floats read back to within 10 decimal places."""
    records = _records("longshort", entry=3, exit_=0)
    text = trades_csv(records)
    assert "\r" not in text and text.endswith("\n")
    assert text.splitlines()[0] == ",".join(TRADE_FIELDS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        for field in TRADE_FIELDS:
            value = record[field]
            if isinstance(value, bool):
                assert row[field] == str(value)
            elif isinstance(value, float):
                assert float(row[field]) == pytest.approx(value, rel=0, abs=1e-10)
            else:
                assert row[field] == str(value)


def test_trades_csv_writes_floats_without_float_noise():
    """A float is rounded to 10 decimal places and written in its shortest form: 0.1 + 0.2
    is "0.3", not the float noise "0.30000000000000004"; None is an empty cell."""
    record = dict.fromkeys(TRADE_FIELDS, 0)
    record.update(pnl_pct=0.1 + 0.2, entry_fee=9.984399999999999, pnl_abs=None, is_open=False)
    line = trades_csv([record]).splitlines()[1].split(",")
    assert line[TRADE_FIELDS.index("pnl_pct")] == "0.3"
    assert line[TRADE_FIELDS.index("entry_fee")] == "9.9844"
    assert line[TRADE_FIELDS.index("pnl_abs")] == ""
    assert trades_csv([]) == ",".join(TRADE_FIELDS) + "\n"


def test_the_trades_csv_of_a_real_run_carries_no_float_noise():
    """A run on the demo data with fees and slippage: its records carry float noise (a fee
    of 0.001 × size × price is 9.945740384999999), its CSV cells none: prices and money
    have at most 10 decimal places, within 1e-10 of the record."""
    request = parse_request(
        {
            "ticker": "ACME", "rule_type": "MACD", "params": {"fast": 12, "slow": 26, "signal": 9},
            "start_date": "2015-01-01", "end_date": "2019-12-31", "charts": False,
            "fee_rate": 0.001, "slippage_bps": 5,
        }
    )  # fmt: skip
    records = execute(request).trades
    money = ("entry_price", "exit_price", "entry_fee", "exit_fee", "pnl_abs", "pnl_pct")
    noisy = [r[f] for r in records for f in money if decimals(repr(r[f])) > 10]
    assert noisy, "the run's records carry no float noise: the test proves nothing"
    rows = list(csv.DictReader(io.StringIO(trades_csv(records))))
    assert len(rows) == len(records) > 10
    for row, record in zip(rows, records, strict=True):
        for field in money:
            assert decimals(row[field]) <= 10, (field, row[field])
            assert float(row[field]) == pytest.approx(record[field], rel=0, abs=1e-10)


def test_a_stopped_trade_records_its_exit_reason_in_the_record_and_the_csv():
    """A 5% stop-loss hit on bar 2 (low 9.5 under 11.5 × 0.95): exit_reason stop_loss."""
    bars = make_bars(CLOSE)
    params = TradingParams(fee_rate=0.001, position_size=1000.0, stop_loss_pct=5)
    low = bars.low.copy()
    low[2] = 9.5
    bars = type(bars)(bars.timestamps, bars.open, bars.high, low, bars.close, bars.volume)
    records = trade_records(bars, run(bars, signals(6, [0]), signals(6, []), params))
    assert [r["exit_reason"] for r in records] == ["stop_loss"]
    assert trades_csv(records).splitlines()[1].endswith(",False,stop_loss")
