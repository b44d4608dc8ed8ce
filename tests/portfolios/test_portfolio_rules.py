"""A portfolio of rules as users request it (``allocation.method: "rules"`` with a ``strategy``
block; docs/portfolios.md, "A portfolio of rules"): the request normalised with the run's
fields, bad input a 400 naming its field, a Job's result on the demo universe with stop
exits marked, the signals of each ticker computed from its bars up to t only (Hypothesis),
and every other request unchanged (no ``strategy`` key)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.demo_universe import UNIVERSE
from kinds.portfolios.kind import run_locally
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.rule_signals import aligned_signals
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

TICKERS = [member.ticker for member in UNIVERSE][:12]


def _rules(**strategy) -> dict:
    body = {
        "tickers": TICKERS,
        "start_date": "2016-01-01",
        "end_date": "2020-12-31",
        "fee_rate": 0.001,
        "allocation": {"method": "rules"},
        "strategy": {"rule_type": "sma_cross", "params": {"fast": 10, "slow": 30}, **strategy},
    }
    return body


def test_a_strategy_is_normalised_with_the_run_requests_fields_and_100_over_n_percent():
    request = parse_portfolio(_rules(stop_loss_pct=8))
    strategy = request["strategy"]
    assert strategy["rule_type"] == "SMA_CROSS"
    assert strategy["size_type"] == "percent"
    assert strategy["position_size"] == pytest.approx(100 / len(TICKERS))
    assert strategy["stop_loss_pct"] == 8
    assert strategy["take_profit_pct"] is None
    assert parse_portfolio(request) == request  # a stored request parses again unchanged


def test_a_request_without_rules_has_no_strategy_key():
    assert "strategy" not in parse_portfolio(valid_portfolio())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"strategy": None}, "strategy"),
        ({"strategy": {"rule_type": "NOPE"}}, "strategy.rule_type"),
        (
            {"strategy": {"rule_type": "SMA_CROSS", "params": {"fast": 30, "slow": 10}}},
            "strategy.params.fast",
        ),
        ({"strategy": {"rule_type": "RSI", "stop_loss_pct": 150}}, "strategy.stop_loss_pct"),
        (
            {"strategy": {"rule_type": "RSI", "size_type": "percent", "position_size": 101}},
            "strategy.position_size",
        ),
        ({"strategy": {"rule_type": "RSI", "colour": 1}}, "strategy.colour"),
        ({"strategy": {"rule_type": "RSI", "fee_min": 5, "fee_max": 1}}, "strategy.fee_max"),
        (
            {
                "strategy": {
                    "rule_type": "EXPR",
                    "params": {"entry": 'close > ref("ACME", close)', "exit": "close < 1"},
                }
            },
            "strategy.params",
        ),
        (
            {
                "strategy": {
                    "rule_type": "EXPR",
                    "params": {"entry": "close > 1", "exit": "bars_held >= 5"},
                }
            },
            "strategy.params.exit",
        ),
        ({"allocation": {"method": "rules", "max_weight": 0.2}}, "allocation.max_weight"),
        ({"cash_rate": 0.02}, "cash_rate"),
    ],
)
def test_bad_strategy_input_is_a_400_naming_the_field(change, field):
    body = {**_rules(), **change}
    with pytest.raises(RequestError) as caught:
        parse_portfolio(body)
    assert caught.value.field == field


def test_a_strategy_without_method_rules_is_refused():
    with pytest.raises(RequestError) as caught:
        parse_portfolio(valid_portfolio(strategy={"rule_type": "RSI"}))
    assert caught.value.field == "strategy"


def test_a_job_trades_each_ticker_by_its_rule_and_marks_stop_exits():
    """The demo universe, SMA_CROSS with an 8 % stop-loss: orders on many tickers, some
    stop exits with their reason, contributions summing to the P&L."""
    request = parse_portfolio(_rules(stop_loss_pct=8))
    request["portfolio_id"] = str(uuid.uuid4())
    result = json.loads(run_locally(request))
    orders = result["orders"]
    assert len({o["ticker"] for o in orders}) >= 8
    assert any(o.get("reason") == "stop_loss" for o in orders)
    assert result["request"]["strategy"]["rule_type"] == "SMA_CROSS"
    pnl = sum(c["pnl"] for c in result["contribution"])
    assert pnl == pytest.approx(result["equity"][-1] - request["initial_capital"])
    assert min(result["cash"]) >= 0


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(100, 900), seed=st.integers(0, 2**31 - 1))
def test_no_later_bar_of_a_ticker_changes_its_signals_up_to_t(cut, seed):
    """Every bar of every ticker after calendar bar ``cut`` redrawn (scaled by random
    factors): the aligned entries and exits up to ``cut`` unchanged."""
    request = parse_portfolio(_rules())
    universe = load_universe(request)
    entries, exits = aligned_signals(request["strategy"], universe)
    rng = np.random.default_rng(seed)
    histories = []
    for bars, rows in zip(universe.histories, universe.rows, strict=True):
        later = rows > cut
        factor = np.where(later, rng.uniform(0.5, 1.5, rows.size), 1.0)
        fields = {
            name: np.asarray(getattr(bars, name)) * factor
            for name in ("open", "high", "low", "close")
        }
        histories.append(replace(bars, **fields))
    changed = replace(universe, histories=tuple(histories))
    entries2, exits2 = aligned_signals(request["strategy"], changed)
    assert np.array_equal(entries[: cut + 1], entries2[: cut + 1])
    assert np.array_equal(exits[: cut + 1], exits2[: cut + 1])
    assert not np.array_equal(entries, entries2) or not np.array_equal(exits, exits2)


def test_a_portfolio_of_rules_is_described_by_its_rule_size_and_stops():
    """The page's line and a list label name the rule, not a rebalance schedule."""
    from kinds.portfolios.describe import default_label, summary

    request = parse_portfolio(_rules(stop_loss_pct=8))
    line = summary(request)
    assert "each ticker by SMA_CROSS(fast=10, slow=30)" in line
    assert "stop-loss 8%" in line and "rebalance" not in line
    assert default_label(request) == f"rules SMA_CROSS(fast=10, slow=30) · {len(TICKERS)} tickers"
    expr = parse_portfolio(
        _rules(
            rule_type="EXPR",
            params={"entry": "close > sma(close, 20)", "exit": "close < sma(close, 20)"},
        )
    )
    assert "entry close > sma(close, 20) / exit close < sma(close, 20)" in summary(expr)


def test_a_portfolio_of_rules_searches_its_rules_parameters_size_and_stops():
    """Its space is the rule's numeric parameters (the rule's bounds), the entry size and
    the stops set; a point lands in ``strategy``, a weights-only or schedule name is a 400
    naming the grid's field, and the point is computed as a submitted portfolio."""
    from kinds.portfolios.search import SEARCH, suggested_grid, suggested_space

    base = parse_portfolio(_rules(stop_loss_pct=8))
    space = SEARCH.space(base)
    assert list(space) == [
        "fast",
        "slow",
        "position_size",
        "stop_loss_pct",
        "take_profit_pct",
        "trailing_stop_pct",
    ]
    assert (space["fast"].low, space["fast"].default) == (2, 10)
    assert suggested_grid(base) == {"fast": "5:20:3", "slow": "15:60:9"}
    offered = [entry["name"] for entry in suggested_space(base)]
    assert offered == ["fast", "slow", "position_size", "stop_loss_pct"]
    point = SEARCH.apply(base, {"fast": 5, "stop_loss_pct": 5.0})
    assert point["strategy"]["params"] == {"fast": 5, "slow": 30}
    assert point["strategy"]["stop_loss_pct"] == 5.0
    for bad, field in (
        ({"max_weight": 0.2}, "grid.max_weight"),
        ({"schedule": "weekly"}, "grid.schedule"),
    ):
        with pytest.raises(RequestError) as caught:
            SEARCH.apply(base, bad)
        assert caught.value.field == field
    outcome = SEARCH.evaluate_one(point)
    assert outcome.metrics["num_trades"] > 0
    assert SEARCH.label(base) == "rules SMA_CROSS"
