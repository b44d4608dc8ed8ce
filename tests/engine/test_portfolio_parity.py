"""Parity of the portfolio core with vectorbt 1.2.0's ``Portfolio.from_orders``
(docs/execution.md, "Portfolios"): random universes, equity on every bar within 1e-9
relative and the same orders, with a fixed fee per order in four cases (vectorbt's
``fixed_fees``; it has no per-share fee).

vectorbt runs from ``.venv-bench`` (scripts/test.sh installs it): these tests never skip;
without it they fail saying how to install it. vectorbt's options: ``targetpercent`` sizes,
``group_by=True``, ``cash_sharing=True``, ``call_seq="auto"``, ``size_granularity=1``,
``longonly``, price and valuation price = the fill bar's open (the last close for a ticker
without a bar), its fees and slippage.

Documented differences: when cash covers not one share of a buy, vectorbt records an order
of 0 shares (its ``buy_nb`` checks the requested size, not the reduced one, against 0); we
record none, and the comparison drops vectorbt's 0-share records. vectorbt has no drift
threshold: the drift cases give it our decision bars (scheduled and drift) with the targets
each one used, which checks the drift rebalances' fills, not when drift triggers (that is
tests/engine/test_portfolio_core.py's hand-computed case).
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.portfolio import (
    PortfolioConfig,
    PortfolioResult,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from tests.engine.portfolio_peer import peer_inputs, run_vectorbt
from tests.engine.portfolio_universe import random_universe

N_CASES = 22
DRIFT_CASES = (16, 17)
FIXED_FEE_CASES = (18, 19, 20, 21)
"""Cases with a fixed fee per order as well (vectorbt's ``fixed_fees``)."""
RELATIVE = 1e-9


def _case(seed: int) -> dict:
    """A random universe and portfolio: 5-50 tickers, late listings, missing days, fees,
    slippage, weekly or monthly, equal, fixed or (a few) ranked weights."""
    rng = np.random.default_rng(seed)
    n_tickers = int(rng.integers(5, 51))
    universe = random_universe(
        rng,
        int(rng.integers(250, 600)),
        n_tickers,
        late_share=float(rng.uniform(0.0, 0.6)),
        missing_rate=float(rng.choice([0.0, 0.01, 0.05])),
    )
    schedule = str(rng.choice(["weekly", "monthly"]))
    method = ("equal", "fixed", "rank")[seed % 3] if seed % 8 else "fixed"
    if method == "fixed":
        fixed = rng.random(n_tickers)
        fixed *= (1.0 if seed % 8 == 0 else rng.uniform(0.5, 1.0)) / fixed.sum()
        targets = target_weights(universe.has_bar, method="fixed", fixed=np.minimum(fixed, 1.0))
    elif method == "rank":
        momentum = universe.close / np.roll(universe.close, 20, axis=0) - 1.0
        momentum[:20] = np.nan
        targets = target_weights(
            universe.has_bar,
            method="rank",
            scores=momentum,
            top_n=int(rng.integers(2, 8)),
            weighting=str(rng.choice(["equal", "score"])),
        )
    else:
        targets = target_weights(universe.has_bar, method="equal")
    config = PortfolioConfig(
        initial_capital=float(rng.choice([10_000.0, 100_000.0, 1_000_000.0]) * rng.uniform(1, 3)),
        fee_rate=float(rng.choice([0.0, 0.0005, 0.001, 0.003])),
        slippage_bps=float(rng.choice([0.0, 5.0, 25.0])),
        drift_threshold=0.03 if seed in DRIFT_CASES else None,
        fee_fixed=float(rng.choice([1.0, 5.0, 20.0])) if seed in FIXED_FEE_CASES else 0.0,
    )
    decide = rebalance_schedule(universe.days, schedule)
    inputs = (universe.open_, universe.close, targets, decide, config)
    return {"label": f"{n_tickers} tickers {schedule} {method} {config}", "inputs": inputs}


def _peer_case(inputs: tuple, ours: PortfolioResult) -> dict[str, np.ndarray]:
    """vectorbt's inputs; with drift, our decision bars and the targets each one used
    (a drift decision uses the last scheduled bar's)."""
    open_, close, targets, decide, config = inputs
    if config.drift_threshold is None:
        return peer_inputs(*inputs)
    scheduled = np.flatnonzero(decide[:-1])
    used = scheduled[np.searchsorted(scheduled, np.arange(decide.size), side="right") - 1]
    return peer_inputs(open_, close, targets[used], ours.decisions, config)


def _equal_weight_monthly() -> tuple[PortfolioResult, dict[str, np.ndarray]]:
    """8 tickers, equal weight, monthly: our result, and vectorbt's inputs with the first
    allocation at the first bar's close (filled at the second bar's open) and each month's
    last close, computed here from the dates alone."""
    rng = np.random.default_rng(42)
    universe = random_universe(rng, 520, 8)
    config = PortfolioConfig(initial_capital=100_000.0, fee_rate=0.001, slippage_bps=5.0)
    targets = target_weights(universe.has_bar, method="equal")
    months = universe.days.astype("datetime64[M]")
    reference = np.zeros(universe.days.size, dtype=bool)
    reference[0] = True
    reference[:-1] |= months[1:] != months[:-1]
    ours = simulate_portfolio(
        universe.open_,
        universe.close,
        targets,
        rebalance_schedule(universe.days, "monthly"),
        config,
    )
    return ours, peer_inputs(universe.open_, universe.close, targets, reference, config)


WEIGHTINGS = ("inverse_volatility", "equal_risk_contribution", "min_variance")


def _risk_weighted(weighting: str) -> tuple[PortfolioResult, np.ndarray, dict[str, np.ndarray]]:
    """12 tickers (some listed late), weekly, a 40-bar Ledoit-Wolf ``weighting``: our result,
    the target weights of the decision bars, and vectorbt's inputs fed the same targets."""
    rng = np.random.default_rng(7)
    universe = random_universe(rng, 400, 12, late_share=0.3, missing_rate=0.01)
    config = PortfolioConfig(initial_capital=250_000.0, fee_rate=0.0005, slippage_bps=5.0)
    decide = rebalance_schedule(universe.days, "weekly")
    targets = target_weights(
        universe.has_bar,
        method="equal",
        weighting=weighting,
        close=universe.close,
        lookback=40,
        rows=decide,
    )
    ours = simulate_portfolio(universe.open_, universe.close, targets, decide, config)
    peer = peer_inputs(universe.open_, universe.close, targets, decide, config)
    return ours, targets[decide], peer


@pytest.fixture(scope="module")
def peers() -> dict:
    """Every case of this module with our result and vectorbt's, all from ONE vectorbt
    process (its import and numba compilation cost more than the cases): the random cases
    (``"random"``: case, ours, peer), the equal-weight monthly one (``"monthly"``: ours,
    peer) and the risk-weighted ones (``"risk"``: weighting -> ours, decision targets,
    peer)."""
    cases = [_case(seed) for seed in range(N_CASES)]
    ours = [simulate_portfolio(*case["inputs"]) for case in cases]
    monthly = _equal_weight_monthly()
    risk = {weighting: _risk_weighted(weighting) for weighting in WEIGHTINGS}
    inputs = [_peer_case(c["inputs"], r) for c, r in zip(cases, ours, strict=True)]
    answers = run_vectorbt([*inputs, monthly[1], *(peer for *_, peer in risk.values())])
    random_answers, monthly_answer, risk_answers = (
        answers[:N_CASES],
        answers[N_CASES],
        answers[N_CASES + 1 :],
    )
    return {
        "random": list(zip(cases, ours, random_answers, strict=True)),
        "monthly": (monthly[0], monthly_answer),
        "risk": {
            weighting: (ours_risk, decided, answer)
            for (weighting, (ours_risk, decided, _)), answer in zip(
                risk.items(), risk_answers, strict=True
            )
        },
    }


@pytest.fixture(scope="module")
def compared(peers: dict) -> list[tuple[dict, PortfolioResult, dict]]:
    """Each random case with our result and vectorbt's."""
    return peers["random"]


@pytest.mark.parametrize("index", range(N_CASES))
def test_equity_on_every_bar_equals_vectorbt_from_orders(compared, index):
    """Within 1e-9 relative on every bar, vectorbt 1.2.0."""
    case, ours, peer = compared[index]
    assert str(peer["version"]) == "1.2.0"
    deviation = np.abs(ours.equity - peer["value"]) / np.abs(peer["value"])
    worst = int(deviation.argmax())
    assert deviation[worst] <= RELATIVE, f"{case['label']}: bar {worst}"


def test_the_drift_cases_rebalance_off_schedule(compared):
    """The drift cases do exercise drift: some decision bars are not scheduled ones."""
    for index in DRIFT_CASES:
        case, ours, _ = compared[index]
        scheduled = case["inputs"][3]
        assert (ours.decisions & ~scheduled).any(), case["label"]


@pytest.mark.parametrize("index", range(N_CASES))
def test_orders_equal_vectorbts_bar_ticker_shares_price_and_fee(compared, index):
    """Same orders in the same sequence (vectorbt's 0-share records aside)."""
    case, ours, peer = compared[index]
    filled = peer["shares"] != 0
    assert len(ours.orders) > 0
    assert ours.orders.bar.tolist() == peer["bar"][filled].tolist(), case["label"]
    assert ours.orders.asset.tolist() == peer["asset"][filled].tolist(), case["label"]
    assert ours.orders.shares.tolist() == peer["shares"][filled].astype(np.int64).tolist()
    np.testing.assert_allclose(ours.orders.price, peer["price"][filled], rtol=RELATIVE)
    np.testing.assert_allclose(ours.orders.fee, peer["fee"][filled], rtol=RELATIVE, atol=1e-12)


def test_an_equal_weight_monthly_portfolio_is_invested_from_the_first_bar_like_vectorbt(peers):
    """8 tickers, equal weight, monthly: vectorbt is given the first allocation at the
    first bar's close (filled at the second bar's open) and each month's last close,
    computed here from the dates alone; our schedule must agree on every bar to 1e-9."""
    ours, peer = peers["monthly"]
    assert ours.orders.bar[0] == 1
    deviation = np.abs(ours.equity - peer["value"]) / np.abs(peer["value"])
    assert deviation.max() <= RELATIVE, f"bar {int(deviation.argmax())}"


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_a_risk_weighted_portfolio_equals_vectorbt_fed_the_same_target_weights(peers, weighting):
    """12 tickers (some listed late), weekly, a 40-bar Ledoit-Wolf risk weighting: vectorbt
    fed our target weights agrees on every bar to 1e-9."""
    ours, decided, peer = peers["risk"][weighting]
    deviation = np.abs(ours.equity - peer["value"]) / np.abs(peer["value"])
    assert deviation.max() <= RELATIVE, f"bar {int(deviation.argmax())}"
    assert np.ptp(decided[-1][decided[-1] > 0]) > 0.01  # not equal weights
