"""Portfolio core: a universe of tickers, one cash ledger, rebalancing to target weights.

Pure numpy, no I/O, its own contract version (``PORTFOLIO_ENGINE_VERSION``) and golden
tests, like the single-ticker engine. The semantics are written in docs/execution.md,
"Portfolios". Public surface::

    from engine.portfolio import (rebalance_schedule, target_weights, simulate_portfolio,
                                  PortfolioConfig, PORTFOLIO_ENGINE_VERSION)

``simulate_portfolio`` takes three optional inputs: ``ForcedCloses`` (delistings, a
point-in-time index), ``PortfolioActions`` (splits and dividends on the holdings) and
``PortfolioLiquidity`` (the per-bar volume, ADV, volatility and spread of liquid fills).
``simulate_signals`` is the portfolio of rules: each ticker traded by its own entry and
exit signals and stops on the same one ledger (the broker's fills)."""

from engine.portfolio.benchmark import equal_weight_buy_and_hold
from engine.portfolio.caps import NO_SECTOR, cap_weights
from engine.portfolio.closes import ForcedCloses
from engine.portfolio.corporate import ActionTable, PortfolioActions
from engine.portfolio.liquidity import PortfolioLiquidity, aligned_inputs
from engine.portfolio.long_short import long_short_weights
from engine.portfolio.memory import estimated_peak_bytes
from engine.portfolio.result import (
    OrderTable,
    PortfolioConfig,
    PortfolioResult,
    RebalanceOrders,
)
from engine.portfolio.risk import RISK_METHODS, risk_weights
from engine.portfolio.schedule import SCHEDULES, rebalance_schedule
from engine.portfolio.signals import rule_costs, simulate_signals
from engine.portfolio.simulate import simulate_portfolio
from engine.portfolio.version import PORTFOLIO_ENGINE_VERSION
from engine.portfolio.volatility import target_volatility
from engine.portfolio.weights import METHODS, WEIGHTINGS, target_weights

__all__ = [
    "METHODS",
    "NO_SECTOR",
    "PORTFOLIO_ENGINE_VERSION",
    "RISK_METHODS",
    "SCHEDULES",
    "WEIGHTINGS",
    "ActionTable",
    "ForcedCloses",
    "OrderTable",
    "PortfolioActions",
    "PortfolioConfig",
    "PortfolioLiquidity",
    "PortfolioResult",
    "RebalanceOrders",
    "aligned_inputs",
    "cap_weights",
    "equal_weight_buy_and_hold",
    "estimated_peak_bytes",
    "long_short_weights",
    "rebalance_schedule",
    "risk_weights",
    "rule_costs",
    "simulate_portfolio",
    "simulate_signals",
    "target_volatility",
    "target_weights",
]
