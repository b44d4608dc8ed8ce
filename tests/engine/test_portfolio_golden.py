"""The portfolio core's freeze: golden universes whose whole result is pinned to
PORTFOLIO_ENGINE_VERSION, like the engine's matrix (tests/engine/test_engine_golden.py).

Each case builds a small deterministic universe from integer random walks (prices in
cents, so the inputs involve no platform-dependent rounding), runs the public portfolio API
(``rebalance_schedule``, ``target_weights``, ``simulate_portfolio``) and stores everything
it returns (equity, cash, shares, weights, orders, contribution, turnover, benchmark,
decisions) in ``tests/engine/golden_portfolio/<case>.json`` with the version it was made
with. A case fails with "portfolio output changed without a PORTFOLIO_ENGINE_VERSION bump"
when any output byte differs under the same version, and asks for regeneration
(``python -m tests.golden --only portfolio``) when the version differs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.portfolio import (
    PORTFOLIO_ENGINE_VERSION,
    PortfolioConfig,
    PortfolioResult,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from engine.portfolio import simulate as simulate_module
from engine.portfolio.result import LIQUIDITY_DEFAULTS
from tests.engine.portfolio_universe import weekdays
from tests.golden import case_problem

GOLDEN_DIR = Path(__file__).parent / "golden_portfolio"
CHANGED = "portfolio output changed without a PORTFOLIO_ENGINE_VERSION bump"
VERSION_KEY = "portfolio_engine_version"


@dataclasses.dataclass(frozen=True)
class Case:
    """One golden universe and how it is traded."""

    seed: int
    n_bars: int
    n_tickers: int
    schedule: str
    method: str
    config: PortfolioConfig
    every_n_bars: int | None = None
    late: tuple[int, ...] = ()
    """The listing bar of the first tickers (the others list on bar 0)."""
    fixed: tuple[float, ...] | None = None
    top_n: int | None = None
    weighting: str = "equal"


CASES = {
    "equal-monthly-late-listing-fee0.001-slip5": Case(
        1, 130, 6, "monthly", "equal", PortfolioConfig(100_000.0, 0.001, 5.0), late=(40,)
    ),
    "fixed-monthly-drift0.02-fee0.002": Case(
        2,
        90,
        4,
        "monthly",
        "fixed",
        PortfolioConfig(50_000.0, 0.002, 0.0, drift_threshold=0.02),
        fixed=(0.4, 0.3, 0.2, 0.05),
    ),
    "rank-score-every5-fee0.002-slip10": Case(
        3,
        100,
        8,
        "bars",
        "rank",
        PortfolioConfig(250_000.0, 0.002, 10.0),
        every_n_bars=5,
        late=(0, 25, 60),
        top_n=3,
        weighting="score",
    ),
    "equal-monthly-few-shares-fee0.01-slip20": Case(
        4, 200, 5, "monthly", "equal", PortfolioConfig(15_000.0, 0.01, 20.0)
    ),
}


def golden_path(name: str) -> Path:
    """Where case ``name``'s golden output lives."""
    return GOLDEN_DIR / f"{name}.json"


def case_inputs(case: Case) -> tuple[np.ndarray, ...]:
    """days, open, close (cents / 100; NaN before listing and on a few missing days)."""
    rng = np.random.default_rng(case.seed)
    shape = (case.n_bars, case.n_tickers)
    start = rng.integers(1_000, 40_000, case.n_tickers)
    cents = np.maximum(start + np.cumsum(rng.integers(-300, 301, shape), axis=0), 100)
    opens = np.maximum(np.vstack([start[None, :], cents[:-1]]) + rng.integers(-80, 81, shape), 100)
    close, open_ = cents / 100.0, opens / 100.0
    absent = rng.integers(0, 40, shape) == 0
    absent[0] = False
    for ticker, listing in enumerate(case.late):
        absent[:listing, ticker] = True
    close[absent] = np.nan
    open_[absent] = np.nan
    return weekdays("2019-12-30", case.n_bars), open_, close


def case_targets(case: Case, close: np.ndarray) -> np.ndarray:
    eligible = np.isfinite(close)
    if case.method == "rank":
        momentum = close / np.vstack([np.full((10, close.shape[1]), np.nan), close[:-10]]) - 1
        return target_weights(
            eligible, method="rank", scores=momentum, top_n=case.top_n, weighting=case.weighting
        )
    fixed = None if case.fixed is None else np.array(case.fixed)
    return target_weights(eligible, method=case.method, fixed=fixed)


def case_result(case: Case) -> PortfolioResult:
    days, open_, close = case_inputs(case)
    decide = rebalance_schedule(days, case.schedule, case.every_n_bars)
    return simulate_portfolio(open_, close, case_targets(case, close), decide, case.config)


def output_document(result: PortfolioResult) -> dict[str, Any]:
    """Everything the core returns, as plain JSON values."""
    orders = result.orders
    columns = ("bar", "asset", "shares", "price", "fee", "value")
    rows = zip(*(getattr(orders, c).tolist() for c in columns), strict=True)
    return {
        "equity": result.equity.tolist(),
        "cash": result.cash.tolist(),
        "shares": result.shares.tolist(),
        "weights": result.weights.tolist(),
        "orders": [dict(zip(columns, row, strict=True)) for row in rows],
        "contribution": result.contribution.tolist(),
        "turnover": result.turnover.tolist(),
        "benchmark": result.benchmark.tolist(),
        "decisions": np.flatnonzero(result.decisions).tolist(),
    }


RECORDED_WHEN_SET = {
    "borrow_rate": 0.0,
    "fee_fixed": 0.0,
    "fee_per_share": 0.0,
    "fee_min": 0.0,
    "fee_max": math.inf,
    **LIQUIDITY_DEFAULTS,
}
"""Config fields added after the cases were pinned, with their defaults: a case records one
only when it sets it, so the pinned cases' inputs read as they were made."""


def _inputs_document(case: Case) -> dict[str, Any]:
    days, open_, close = case_inputs(case)
    digest = hashlib.sha256()
    for array in (days, open_, close):
        digest.update(np.ascontiguousarray(array).tobytes())
    settings = dataclasses.asdict(case)
    settings["config"] = {
        key: value
        for key, value in dataclasses.asdict(case.config).items()
        if key not in RECORDED_WHEN_SET or value != RECORDED_WHEN_SET[key]
    }
    return json.loads(json.dumps({"case": settings, "sha256": digest.hexdigest()}))


def build_document(name: str, version: str = PORTFOLIO_ENGINE_VERSION) -> dict[str, Any]:
    """The golden document of case ``name`` as the current core makes it."""
    case = CASES[name]
    return {
        "case": name,
        VERSION_KEY: version,
        "inputs": _inputs_document(case),
        "output": output_document(case_result(case)),
    }


def _problem(name: str) -> str | None:
    return case_problem(golden_path(name).read_text(), build_document(name), VERSION_KEY, CHANGED)


@pytest.mark.parametrize("name", list(CASES))
def test_portfolio_output_equals_its_golden_file_byte_for_byte(name: str) -> None:
    """Every case reproduces its golden file exactly, under the version it records."""
    problem = _problem(name)
    assert problem is None, problem


def test_every_portfolio_golden_file_belongs_to_a_case_and_every_case_has_one() -> None:
    """No stale golden file and no case without one."""
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.json")) == sorted(CASES)


def test_golden_cases_exercise_what_they_are_named_after() -> None:
    """Late listings and drift rebalances happen; each case buys and sells."""
    drift = case_result(CASES["fixed-monthly-drift0.02-fee0.002"])
    days = case_inputs(CASES["fixed-monthly-drift0.02-fee0.002"])[0]
    scheduled = rebalance_schedule(days, "monthly")
    assert (drift.decisions & ~scheduled).any()
    late = case_result(CASES["equal-monthly-late-listing-fee0.001-slip5"])
    assert late.shares[:41, 0].sum() == 0 and late.shares[-1, 0] > 0
    for name, case in CASES.items():
        result = case_result(case)
        assert len(result.orders) >= 8, name
        assert (result.orders.shares < 0).any(), name


def test_a_golden_file_from_another_portfolio_version_asks_for_regeneration() -> None:
    """A bumped PORTFOLIO_ENGINE_VERSION fails until the golden files are regenerated."""
    name = "equal-monthly-few-shares-fee0.01-slip20"
    current = build_document(name, "9.9.9")
    problem = case_problem(golden_path(name).read_text(), current, VERSION_KEY, CHANGED)
    assert problem == (
        f"{name}: PORTFOLIO_ENGINE_VERSION bumped: regenerate golden files with "
        f"`python -m tests.golden` (golden made with {PORTFOLIO_ENGINE_VERSION}, code is 9.9.9)"
    )


def test_a_mutated_core_fails_every_golden_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slippage one basis point higher (in memory) is reported as an unbumped change."""
    original = simulate_module._Fills.__init__

    def worse(self, config: PortfolioConfig, n_bars: int, *inputs: Any) -> None:
        original(self, config, n_bars, *inputs)
        self.slippage += 1e-4

    monkeypatch.setattr(simulate_module._Fills, "__init__", worse)
    for name in CASES:
        assert (_problem(name) or "").startswith(f"{name}: {CHANGED}: "), name
