"""Splits and dividends in the portfolio core: a hand-computed long-short book to the cent,
a split-adjusted book against the raw book with its split event, and the byte-identity of
a simulation no event meets (docs/execution.md, "Portfolios", "Splits and dividends")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.portfolio import (
    ForcedCloses,
    PortfolioActions,
    PortfolioConfig,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from engine.portfolio.prices import last_close
from tests.engine.portfolio_universe import random_universe

A_CLOSE = [100, 100, 102, 104, 26, 27, 27, 28, 28, 28, 29, 30]
B_CLOSE = [50, 50, 49, 48, 48, 47, 31, 30, 30, 29, 29, 28]


def _book() -> tuple[np.ndarray, ...]:
    """A (long) splits 4:1 at bar 4 and pays 0.50 at bar 2, then 0.125 at bars 5, 8 and
    11; B (short) pays 0.40 at bar 3 and 0.30 at bar 9 and splits 3:2 at bar 6. Each open
    is the previous close, but the split bars' (26.50, 31.50)."""
    close = np.array([A_CLOSE, B_CLOSE], dtype=float).T
    open_ = np.vstack([close[:1], close[:-1]])
    open_[4, 0], open_[6, 1] = 26.5, 31.5
    split, dividend = np.ones(close.shape), np.zeros(close.shape)
    split[4, 0], split[6, 1] = 4.0, 1.5
    dividend[[2, 5, 8, 11], 0] = [0.5, 0.125, 0.125, 0.125]
    dividend[[3, 9], 1] = [0.4, 0.3]
    return open_, close, split, dividend


def _run_book(actions: bool = True):
    open_, close, split, dividend = _book()
    decide = np.zeros(12, dtype=bool)
    decide[[0, 6]] = True
    targets = np.tile([0.5, -0.5], (12, 1))
    config = PortfolioConfig(10_100.0, fee_rate=0.001, allow_short=True)
    acts = PortfolioActions(split, dividend) if actions else None
    return simulate_portfolio(open_, close, targets, decide, config, actions=acts)


def test_a_long_short_book_across_splits_and_dividends_to_the_cent():
    """Bar 1's open: short 101 B at 50 (fee 5.05), buy 50 A at 100 (fee 5): cash
    10,139.95. A pays 25 (bar 2), B charges 40.40 (bar 3), A splits into 200 (bar 4) and
    pays 25 (bar 5); B's 101 short become 151 and the half share is charged at 31.50
    (15.75, bar 6). Bar 7 rebalances at V = 10,133.80 + 200 x 27 - 151 x 31 = 10,852.80:
    A's 0.977 share is no order, B sells 24 more at 31 (fee 0.744). A pays 25 (bars 8, 11),
    B charges 175 x 0.30 = 52.50 (bar 9): cash 10,874.556, equity 11,974.556."""
    result = _run_book()
    assert result.shares[:, 0].tolist() == [0, 50, 50, 50] + [200] * 8
    assert result.shares[:, 1].tolist() == [0, -101, -101, -101, -101, -101, -151] + [-175] * 5
    cash = [10_100, 10_139.95, 10_164.95, 10_124.55, 10_124.55, 10_149.55, 10_133.80]
    cash += [10_877.056, 10_902.056, 10_849.556, 10_849.556, 10_874.556]
    assert [round(c, 3) for c in result.cash] == pytest.approx(cash, abs=1e-9)
    assert round(result.equity[-1], 3) == 11_974.556
    orders = result.orders
    assert orders.bar.tolist() == [1, 1, 7]
    assert orders.asset.tolist() == [1, 0, 1]
    assert orders.shares.tolist() == [-101, 50, -24]
    assert orders.price.tolist() == [50.0, 100.0, 31.0]
    assert [round(f, 4) for f in orders.fee] == [5.05, 5.0, 0.744]
    # A: 6,000 - 5,005 + 100 of dividends; B: -4,900 + 5,788.206 - 108.65 of events
    assert [round(c, 3) for c in result.contribution] == [1_095.0, 779.556]
    assert result.contribution.sum() == pytest.approx(result.equity[-1] - 10_100.0, abs=1e-9)


def test_the_split_moves_no_equity_and_no_weight():
    """A's 4:1 split at bar 4 (close 104, then 26) leaves the equity and A's weight as they
    were at bar 3: the shares and the close both change by the ratio."""
    result = _run_book()
    assert round(result.equity[3], 6) == round(result.equity[4], 6) == 10_476.55
    assert result.weights[4, 0] == pytest.approx(result.weights[3, 0], abs=1e-12)
    plain = _run_book(actions=False)
    assert plain.equity[4] < plain.equity[3] - 3_000  # the phantom crash it removes


def test_the_events_applied_log_each_event_a_holding_met():
    """In the order they acted: (bar, asset, type, value, before, after, cash)."""
    log = _run_book().events
    rows = list(
        zip(
            log.bar,
            log.asset,
            log.kind_names(),
            log.value,
            log.before,
            log.after,
            [round(c, 6) for c in log.cash],
            strict=True,
        )
    )
    assert rows == [
        (2, 0, "dividend", 0.5, 50, 50, 25.0),
        (3, 1, "dividend", 0.4, -101, -101, -40.4),
        (4, 0, "split", 4.0, 50, 200, 0.0),
        (5, 0, "dividend", 0.125, 200, 200, 25.0),
        (6, 1, "split", 1.5, -101, -151, -15.75),
        (8, 0, "dividend", 0.125, 200, 200, 25.0),
        (9, 1, "dividend", 0.3, -175, -175, -52.5),
        (11, 0, "dividend", 0.125, 200, 200, 25.0),
    ]


def test_the_benchmark_receives_the_splits_and_dividends():
    """Each 5,050 slice buys 50 A and 100 B (fee 5 each; 90 cash); A's slice gets 100 of
    dividends and splits into 200, B's gets 40 + 150 x 0.30 and splits into 150: at the
    last close 275 + 200 x 30 + 150 x 28 = 10,475."""
    assert round(_run_book().benchmark[-1], 6) == 10_475.0


def test_events_no_holding_meets_change_no_byte():
    """Events on tickers the book never holds (or at bar 0) leave every output of the book
    as without them, and the result has no event log (the benchmark, which holds every
    ticker, receives them)."""
    u = random_universe(np.random.default_rng(7), 100, 5, late_share=0.3, missing_rate=0.05)
    decide = rebalance_schedule(u.days, "weekly")
    fixed = np.array([0.5, 0.5, 0.0, 0.0, 0.0])
    eligible = u.has_bar.copy()
    eligible[:, :2] = True
    u.open_[:, :2] = np.where(np.isfinite(u.open_[:, :2]), u.open_[:, :2], 10.0)
    u.close[:, :2] = np.where(np.isfinite(u.close[:, :2]), u.close[:, :2], 10.0)
    targets = target_weights(eligible, method="fixed", fixed=fixed)
    config = PortfolioConfig(50_000.0, 0.001, 5.0, drift_threshold=0.05)
    split, dividend = np.ones(u.close.shape), np.zeros(u.close.shape)
    has_bar = np.isfinite(u.close)
    split[:, 2:] = np.where(has_bar[:, 2:], 2.0, 1.0)
    dividend[:, 2:] = np.where(has_bar[:, 2:], 0.01, 0.0)
    split[0, :2] = 3.0
    plain = simulate_portfolio(u.open_, u.close, targets, decide, config)
    acted = simulate_portfolio(
        u.open_, u.close, targets, decide, config, actions=PortfolioActions(split, dividend)
    )
    assert acted.events is None
    for name in ("equity", "cash", "shares", "weights", "contribution", "turnover"):
        assert getattr(plain, name).tobytes() == getattr(acted, name).tobytes(), name
    assert plain.orders.price.tobytes() == acted.orders.price.tobytes()
    assert plain.benchmark.tobytes() != acted.benchmark.tobytes()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"split": 0.0}, "actions.split"),
        ({"split": np.nan}, "actions.split"),
        ({"dividend": -1.0}, "actions.dividend"),
        ({"dividend": np.inf}, "actions.dividend"),
    ],
)
def test_bad_actions_are_refused_naming_the_field(change, field):
    open_, close, split, dividend = _book()
    if "split" in change:
        split[3, 0] = change["split"]
    else:
        dividend[3, 0] = change["dividend"]
    decide = np.zeros(12, dtype=bool)
    decide[0] = True
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        simulate_portfolio(
            open_,
            close,
            np.full((12, 2), 0.5),
            decide,
            PortfolioConfig(1_000.0),
            actions=PortfolioActions(split, dividend),
        )


def test_an_event_on_a_bar_its_ticker_lacks_is_refused():
    open_, close, split, dividend = _book()
    open_[5, 0] = close[5, 0] = np.nan
    dividend[5, 0] = 0.125
    decide = np.zeros(12, dtype=bool)
    decide[0] = True
    with pytest.raises(ValueError, match="actions: an event must sit on a bar"):
        simulate_portfolio(
            open_,
            close,
            np.full((12, 2), 0.5),
            decide,
            PortfolioConfig(1_000.0),
            actions=PortfolioActions(split, dividend),
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    ratio=st.sampled_from([2.0, 3.0, 4.0, 1.5, 0.5, 0.25]),
    schedule=st.sampled_from(["weekly", "monthly"]),
)
def test_a_book_over_split_adjusted_prices_holds_the_raw_books_value(seed, ratio, schedule):
    """A ticker split by ``ratio`` at a random bar: the book over its prices adjusted by
    hand (every price before the ex-bar divided by the ratio, no event) and the book over
    the traded prices with the split event hold the same value on every bar up to the
    whole-share rounding: identical before the first fill, then within one share of each
    ticker at its highest traded price (after each fill the two books' holdings of a ticker
    are under one share of the coarser unit apart, and each fill sizes both from their own
    value; 0.29 of that bound at most over 3,600 seeded cases)."""
    rng = np.random.default_rng(seed)
    n_bars, n_tickers = 90, 4
    u = random_universe(rng, n_bars, n_tickers, missing_rate=0.02)
    u.open_[0], u.close[0] = 50.0, 50.0  # every ticker has the first bar
    col = int(rng.integers(0, n_tickers))
    bars = np.flatnonzero(np.isfinite(u.close[:, col]))
    ex = int(rng.choice(bars[(bars > 2) & (bars < n_bars - 2)]))
    raw_open, raw_close = u.open_.copy(), u.close.copy()
    raw_open[ex:, col] /= ratio  # traded prices: after the ex-bar in the new shares' units
    raw_close[ex:, col] /= ratio
    adj_open, adj_close = raw_open.copy(), raw_close.copy()
    adj_open[:ex, col] /= ratio
    adj_close[:ex, col] /= ratio
    split = np.ones(u.close.shape)
    split[ex, col] = ratio
    decide = rebalance_schedule(u.days, schedule)
    targets = target_weights(np.isfinite(u.close), method="equal")
    config = PortfolioConfig(100_000.0, fee_rate=0.001)
    raw = simulate_portfolio(
        raw_open,
        raw_close,
        targets,
        decide,
        config,
        actions=PortfolioActions(split, np.zeros(u.close.shape)),
    )
    adjusted = simulate_portfolio(adj_open, adj_close, targets, decide, config)
    fills = np.cumsum(raw.turnover > 0)
    one_share_each = np.nanmax(np.maximum(raw_open, raw_close), axis=0).sum()
    gap = np.abs(raw.equity - adjusted.equity)
    assert (gap <= one_share_each).all()
    assert (gap[fills == 0] < 1e-9).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    schedule=st.sampled_from(["daily", "weekly", "monthly"]),
    drift=st.sampled_from([None, 0.05]),
    short=st.booleans(),
)
@example(seed=530, schedule="weekly", drift=0.05, short=True)  # a short book busts at bar 6
def test_random_events_keep_the_books_accounts(seed, schedule, drift, short):
    """Random splits (1:4 to 4:1) and dividends on random universes, with delistings, a
    drift threshold and shorts: the equity is cash + shares x last close on every bar, the
    cash moves by the logged orders and events (and a bust's write-off) alone, the
    contributions sum to the P&L (less the write-off), each split turns n shares into
    floor(|n| x r) (signed) and each logged event met a holding."""
    rng = np.random.default_rng(seed)
    n_bars, n_tickers = 80, 6
    u = random_universe(rng, n_bars, n_tickers, late_share=0.3, missing_rate=0.03)
    has_bar = np.isfinite(u.close)
    ratios = rng.choice([0.25, 0.5, 1.5, 2.0, 3.0, 4.0], has_bar.shape)
    split = np.where(has_bar & (rng.random(has_bar.shape) < 0.02), ratios, 1.0)
    dividend = np.where(has_bar & (rng.random(has_bar.shape) < 0.04), u.close * 0.01, 0.0)
    blocked = np.zeros(has_bar.shape, dtype=bool)
    gone = rng.integers(10, n_bars, n_tickers)
    for j in np.flatnonzero(rng.random(n_tickers) < 0.3):
        blocked[gone[j] :, j] = True
    eligible = has_bar & ~blocked & ~np.vstack([blocked[1:], blocked[-1:]])
    targets = target_weights(eligible, method="equal")
    if short:
        targets[:, ::2] *= -1.0
    decide = rebalance_schedule(u.days, schedule)
    config = PortfolioConfig(100_000.0, 0.001, 5.0, drift_threshold=drift, allow_short=short)
    result = simulate_portfolio(
        u.open_,
        u.close,
        targets,
        decide,
        config,
        ForcedCloses(blocked),
        PortfolioActions(split, dividend),
    )
    mark = np.nan_to_num(last_close(u.close), nan=0.0)
    marked = result.cash + (result.shares * mark).sum(axis=1)
    assert np.allclose(result.equity, marked, rtol=1e-12, atol=1e-9)
    pnl = result.equity[-1] - 100_000.0
    assert result.contribution.sum() + result.written_off == pytest.approx(pnl, rel=1e-9, abs=1e-6)
    log = result.events
    orders = result.orders
    moved = (0.0 if log is None else sum(log.cash)) - (orders.value + orders.fee).sum()
    assert result.cash[-1] == pytest.approx(100_000.0 + moved + result.written_off, abs=1e-6)
    if result.bust_bar is not None:  # sold at its close; nothing held or traded after it
        assert result.equity[result.bust_bar :].tolist() == [0.0] * (80 - result.bust_bar)
        assert orders.bar.max() == result.bust_bar and result.written_off >= 0.0
    for k in range(0 if log is None else len(log)):
        assert log.before[k] != 0
        if log.kind_names()[k] == "split":
            whole = np.floor(abs(log.before[k]) * log.value[k] + 1e-9)
            assert log.after[k] == np.sign(log.before[k]) * whole
