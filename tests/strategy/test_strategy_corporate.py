"""A Python strategy's book applies the request's short borrow fee and the ticker's splits,
dividends and delisting to its trades (engine.broker.book, engine.corporate), and a
``price_adjustment`` changes the bars it reads, not what is traded: hand-computed cases on
the book, then the platform's run of catalog tickers with events equal to notebook mode's,
byte for byte."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest

from backtest_strategy import Backtest, Strategy
from engine.broker.book import Book, book_costs, drive, reading
from engine.corporate import CorporateActions
from kinds.runs.contract import parse_request
from kinds.runs.execute import load_market_data, market_window
from kinds.runs.kind import execute_request
from kinds.runs.python_request import code_hash
from kinds.runs.python_run import strategy_result
from kinds.runs.serialize import to_json
from metrics import SWEEP_METRIC_KEYS
from tests.runs.python_strategies import module_of


def scripted(orders: dict[int, list[dict]]):
    """A decider placing ``orders[bar]`` (market orders of whole units, or closes of the
    first open trade) at that bar's close."""
    ids = iter(range(1, 1000))

    def decide(state: dict) -> list[dict]:
        out = []
        for order in orders.get(state["bar"], []):
            if order == "close":
                out.append({"op": "close", "trade": state["trades"][0]["id"], "portion": 1.0})
            else:
                out.append({"op": "order", "id": next(ids), **order})
        return out

    return decide


def book_of(closes, opens=None, *, split=None, dividend=None, delisting=None, **kwargs) -> Book:
    closes = np.array(closes, dtype=np.float64)
    opens = closes if opens is None else np.array(opens, dtype=np.float64)
    n = len(closes)
    actions = None
    if split or dividend or delisting is not None:
        actions = CorporateActions(
            np.array(split or [1.0] * n, dtype=np.float64),
            np.array(dividend or [0.0] * n, dtype=np.float64),
            delisting,
        )
    high, low = np.maximum(opens, closes), np.minimum(opens, closes)
    fee = kwargs.pop("fee_rate", 0.0)
    return Book(opens, high, low, closes, book_costs(10_000.0, 0.0, fee), actions=actions, **kwargs)


def test_a_long_across_a_2_for_1_split_holds_twice_the_shares_at_half_the_entry():
    book = book_of([10.0, 10.0, 5.2, 5.3], [10.0, 10.0, 5.1, 5.3], split=[1, 1, 2.0, 1])
    drive(book, 0, reading(scripted({0: [{"size": 7}], 2: ["close"]})), finalize=False)
    (trade,) = book.closed
    assert (trade.size, trade.entry_price, trade.exit_price) == (14, 5.0, 5.3)
    assert book.equity[1] == 10_000.0
    assert book.equity[2] == pytest.approx(10_000.0 + 14 * (5.2 - 5.0), abs=1e-9), "no fake loss"
    assert book.trade_columns()["pnl"][0] == pytest.approx(14 * 0.3, abs=1e-9)
    assert book.applied.kind_names() == ["split"] and book.applied.after == [14.0]


def test_a_3_for_2_split_pays_the_fraction_in_cash_at_the_ex_bars_open():
    book = book_of([10.0, 10.0, 7.0], [10.0, 10.0, 6.8], split=[1, 1, 1.5])
    drive(book, 0, reading(scripted({0: [{"size": 7}]})), finalize=False)
    (trade,) = book.trades
    assert trade.size == 10 and trade.entry_price == pytest.approx(10 / 1.5)
    # a broker's statement: 10 shares at 7 plus half a share paid at 6.80, against 7 × 10
    assert book.equity[2] == pytest.approx(10_000.0 + 10 * 7.0 + 0.5 * 6.8 - 70.0, abs=1e-9)
    assert book.applied.cash == [pytest.approx(0.5 * 6.8)]


def test_a_short_pays_the_borrow_fee_on_the_three_closes_it_is_held():
    book = book_of([10.0, 10.0, 8.0, 9.0, 9.0], borrow=0.001)
    drive(book, 0, reading(scripted({0: [{"size": -100}], 3: ["close"]})), finalize=False)
    assert len(book.closed) == 1
    charges = 100 * 10.0 * 0.001 + 100 * 8.0 * 0.001 + 100 * 9.0 * 0.001  # closes 1, 2, 3
    assert book.trade_columns()["pnl"][0] == pytest.approx(100 * (10 - 9) - charges, abs=1e-9)
    assert book.equity[-1] == pytest.approx(10_000.0 + 100.0 - 2.7, abs=1e-9)
    assert book.equity[1] == pytest.approx(10_000.0 - 1.0, abs=1e-9)


def test_a_long_never_pays_the_borrow_fee():
    book = book_of([10.0, 10.0, 8.0, 9.0], borrow=0.001)
    drive(book, 0, reading(scripted({0: [{"size": 100}]})), finalize=False)
    assert book.equity[-1] == 10_000.0 + 100 * (9.0 - 10.0)


@pytest.mark.parametrize(("size", "cash"), [(10, 5.0), (-10, -5.0)])
def test_a_dividend_pays_a_long_and_charges_a_short(size, cash):
    book = book_of([10.0, 10.0, 9.5, 9.5], dividend=[0, 0, 0.5, 0])
    drive(book, 0, reading(scripted({0: [{"size": size}], 2: ["close"]})), finalize=False)
    assert book.applied.cash == [cash]
    assert book.trade_columns()["pnl"][0] == size * (9.5 - 10.0) + cash
    assert book.equity[-1] == 10_000.0 + size * (9.5 - 10.0) + cash


def test_a_delisting_closes_the_trade_at_its_cash_without_an_exit_fee():
    book = book_of([2.0, 2.0, 1.0], delisting=0.4, fee_rate=0.01)
    drive(book, 0, reading(scripted({0: [{"size": 100}]})), finalize=True)
    (trade,) = book.closed
    assert (trade.exit_price, trade.exit_bar) == (0.4, 2)
    assert trade.commissions == pytest.approx(100 * 2.0 * 0.01), "the entry fee only"
    assert book.equity[-1] == pytest.approx(10_000.0 + 100 * (0.4 - 2.0) - 2.0, abs=1e-9)
    assert not book.trades and book.applied.kind_names() == ["delisting"]


def test_a_split_divides_a_pending_orders_limit_as_a_broker_adjusts_an_open_order():
    book = book_of([10.0, 10.0, 5.0, 5.0], split=[1, 1, 2.0, 1])
    drive(book, 0, reading(scripted({0: [{"size": 1, "limit": 9.0}]})), finalize=False)
    assert not book.trades and not book.closed, "a limit of 9 is 4.50 after the split: unfilled"
    (order,) = book.orders
    assert order.limit == 4.5


def test_what_the_strategy_reads_after_a_split_is_the_split_trade():
    seen = []

    def decide(state):
        seen.append([(t["size"], t["entry_price"]) for t in state["trades"]])
        return [{"op": "order", "id": 1, "size": 7}] if state["bar"] == 0 else []

    drive(book_of([10.0, 10.0, 5.0], split=[1, 1, 2.0]), 0, reading(decide), finalize=False)
    assert seen == [[], [(7, 10.0)], [(14, 5.0)]]


HOLD = """\
from backtest_strategy import Strategy


class Hold(Strategy):
    side = 1
    units = 0
    limit_pct = 0.0

    def init(self):
        pass

    def next(self):
        if not self.position and not self.orders:
            size = self.side * self.units if self.units else self.side * 0.5
            limit = self.data.Close[-1] * (1 + self.limit_pct) if self.limit_pct else None
            order = self.buy if self.side > 0 else self.sell
            order(size=abs(size), limit=limit)
        elif len(self.data) % 40 == 0:
            self.position.close()
"""

CASES = [
    ("VRDN", "2020-06-01", "2020-12-31", {"side": 1}, {}),
    ("VRDN", "2020-06-01", "2020-12-31", {"side": -1}, {"borrow_rate": 0.2}),
    (
        "VRDN",
        "2019-01-01",
        "2020-12-31",
        {"units": 40, "limit_pct": 0.01},
        {"price_adjustment": "split"},
    ),
    ("VRDN", "2019-01-01", "2020-12-31", {"side": -1}, {"price_adjustment": "total_return"}),
    ("DNDR", "2021-03-01", "2021-06-15", {"side": 1}, {}),
]


@pytest.mark.parametrize(("ticker", "start", "end", "params", "fields"), CASES)
def test_the_platforms_run_with_events_is_the_notebooks_byte_for_byte(
    ticker, start, end, params, fields
):
    cls = module_of(HOLD)["Hold"]
    notebook = Backtest(
        ticker, cls, start_date=start, end_date=end, cash=100_000, commission=0.001, **fields
    )
    stats = notebook.run(**params)
    request = parse_request(
        {
            "ticker": ticker,
            "rule_type": "PYTHON",
            "start_date": start,
            "end_date": end,
            "strategy_code": HOLD,
            "strategy_class": "Hold",
            "params": params,
            "initial_capital": 100_000,
            "fee_rate": 0.001,
            "charts": False,
            **fields,
        }
    )
    frame = market_window(load_market_data(request))
    expected = strategy_result(request, frame.bars, stats, frame.data_hash, code_hash(HOLD))
    got = execute_request(request)
    assert got.events_applied, "an event met the trades"
    assert to_json(got) == to_json(expected)


class BuyAndHold(Strategy):
    """Buys ``units`` once; then records (position size, entry price) each bar in ``seen``."""

    units = 100
    seen: ClassVar[list] = []

    def init(self):
        self.seen.clear()

    def next(self):
        if not self.position:
            self.buy(size=self.units)
        else:
            self.seen.append((self.position.size, self.trades[0].entry_price))


VRDN_SPLIT = {"start_date": "2020-08-20", "end_date": "2020-09-10", "cash": 500_000}
"""A window around VRDN's 4:1 split of 2020-08-31."""


def test_a_raw_run_across_a_split_shows_no_fake_loss():
    stats = Backtest("VRDN", BuyAndHold, **VRDN_SPLIT).run()
    equity = stats["_equity_curve"]["Equity"]
    # the split's day moves the equity by the price's move, not by a 75% loss on the shares
    assert equity.pct_change().abs().max() < 0.02
    assert stats["_events_applied"][0]["shares_after"] == 400


def test_with_split_adjustment_the_strategy_reads_adjusted_prices_and_shares():
    seen = BuyAndHold.seen
    raw = Backtest("VRDN", BuyAndHold, **VRDN_SPLIT).run(units=400)
    assert {size for size, _ in seen} == {400, 1600}, "raw: 400 traded shares, then 1,600"
    assert len({entry for _, entry in seen}) == 2, "raw: the entry price divided by 4"
    split = Backtest("VRDN", BuyAndHold, price_adjustment="split", **VRDN_SPLIT).run(units=400)
    assert {size for size, _ in seen} == {400}, "split: 400 adjusted shares throughout"
    assert len({round(entry, 9) for _, entry in seen}) == 1, "split: one entry price"
    assert raw["_events_applied"][0]["shares_before"] == 400
    assert split["_events_applied"][0]["shares_before"] == 100, "400 adjusted = 100 traded"


@pytest.mark.parametrize(
    "fields",
    [{"borrow_rate": 0.2}, {"price_adjustment": "split"}],
)
def test_a_sweeps_combinations_over_events_equal_their_runs_alone(fields):
    from kinds.sweeps.contract import parse_sweep_request
    from tests.sweeps.test_sweep_python import alone, chunk_rows

    sweep = parse_sweep_request(
        {
            "ticker": "VRDN",
            "rule_type": "PYTHON",
            "start_date": "2019-06-01",
            "end_date": "2020-12-31",
            "strategy_code": HOLD,
            "strategy_class": "Hold",
            "initial_capital": 100_000,
            "grid": {"side": [1, -1], "units": [0, 40]},
            **fields,
        }
    )
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 4
    for row in rows:
        assert "error" not in row, row.get("error")
        metrics = {key: row[key] for key in SWEEP_METRIC_KEYS}
        assert json.dumps(metrics) == json.dumps(alone(sweep, row))
