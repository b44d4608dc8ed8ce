"""The freeze of a portfolio of rules (``engine.portfolio.simulate_signals``): golden
universes whose whole result is pinned to PORTFOLIO_ENGINE_VERSION, as the rebalancing
cases are (tests/engine/test_portfolio_golden.py, whose universes and helpers these reuse):
signals drawn from a seeded generator, with and without stops, fixed fees and a value size,
stored in ``tests/engine/golden_portfolio_signals/<case>.json``
(``python -m tests.golden --only portfolio`` rewrites them).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.broker.stops import Stops
from engine.portfolio import (
    PORTFOLIO_ENGINE_VERSION,
    PortfolioConfig,
    PortfolioResult,
    rule_costs,
    simulate_signals,
)
from tests.engine.test_portfolio_golden import (
    VERSION_KEY,
    Case,
    _inputs_document,
    case_inputs,
    output_document,
)
from tests.golden import case_problem

GOLDEN_DIR = Path(__file__).parent / "golden_portfolio_signals"
CHANGED = "portfolio of rules output changed without a PORTFOLIO_ENGINE_VERSION bump"


@dataclasses.dataclass(frozen=True)
class RulesCase:
    """A golden universe (``Case``) traded by drawn signals, a size and stops."""

    universe: Case
    position_size: float
    by_value: bool = False
    fee_fixed: float = 0.0
    stops: tuple[float | None, float | None, float | None] = (None, None, None)


CASES = {
    "rules-percent-late-listing-fee0.001-slip5": RulesCase(
        Case(11, 130, 6, "daily", "rules", PortfolioConfig(100_000.0, 0.001, 5.0), late=(40,)),
        25.0,
    ),
    "rules-value-stops-fixed-fee": RulesCase(
        Case(12, 160, 8, "daily", "rules", PortfolioConfig(60_000.0, 0.0005, 10.0)),
        12_000.0,
        by_value=True,
        fee_fixed=1.5,
        stops=(0.06, 0.12, 0.05),
    ),
}


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def case_result(case: RulesCase) -> PortfolioResult:
    """The case's universe (its closes as high and low, widened by 1 %) and signals."""
    _, open_, close = case_inputs(case.universe)
    rng = np.random.default_rng(case.universe.seed + 1000)
    has_bar = np.isfinite(close)
    entries = (rng.random(close.shape) < 0.1) & has_bar
    exits = (rng.random(close.shape) < 0.1) & has_bar
    high = np.fmax(open_, close) * 1.01
    low = np.fmin(open_, close) * 0.99
    config = case.universe.config
    costs = rule_costs(
        config, by_value=case.by_value, position_size=case.position_size, fee_fixed=case.fee_fixed
    )
    stops = Stops(*case.stops)
    return simulate_signals(open_, high, low, close, entries, exits, config, costs, stops)


def build_document(name: str, version: str = PORTFOLIO_ENGINE_VERSION) -> dict[str, Any]:
    case = CASES[name]
    inputs = _inputs_document(case.universe)
    inputs["rules"] = json.loads(
        json.dumps({k: v for k, v in dataclasses.asdict(case).items() if k != "universe"})
    )
    output = output_document(case_result(case))
    output["reasons"] = case_result(case).orders.reason.tolist()
    return {"case": name, VERSION_KEY: version, "inputs": inputs, "output": output}


def _problem(name: str) -> str | None:
    return case_problem(golden_path(name).read_text(), build_document(name), VERSION_KEY, CHANGED)


@pytest.mark.parametrize("name", list(CASES))
def test_portfolio_of_rules_output_equals_its_golden_file_byte_for_byte(name: str) -> None:
    problem = _problem(name)
    assert problem is None, problem


def test_every_rules_golden_file_belongs_to_a_case_and_each_case_trades_and_stops() -> None:
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.json")) == sorted(CASES)
    stopped = case_result(CASES["rules-value-stops-fixed-fee"])
    assert (stopped.orders.reason > 0).any()
    for name, case in CASES.items():
        result = case_result(case)
        assert len(result.orders) >= 20, name
        assert (result.orders.shares < 0).any(), name
