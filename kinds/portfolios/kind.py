"""Portfolio backtests as a kind of queued work (``work.kind``): one Job per portfolio loads
its universe's files (``kinds.portfolios.universe``), computes the result
(``kinds.portfolios.compute``: the pure core and the metric adapters) and stores it with its
SUCCEEDED transition. Like a run's kind, it imports its computation (numpy, the engine, the
rules, and the expression parser a ranking needs) when the registry loads it, before a Job
claims an item: the item is RUNNING only while it computes. On the shared queue, with the
protocol's transitions and the reaper's generic recovery; its API is ``web.api.portfolios``
and its pages ``web.pages.portfolios`` when present (docs/portfolios.md)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kinds.portfolios.compute import build_result, portfolio_config, result_json, simulator
from kinds.portfolios.settings import PORTFOLIO_MAX_ORDERS, SETTINGS
from kinds.portfolios.state import TABLE, store_result
from kinds.portfolios.universe import load_universe
from rules.expr.parse import prepare_parser
from work.kind import Claim, WorkKind
from work.logs import run_context
from work.transitions import ItemTable

if TYPE_CHECKING:  # pragma: no cover
    from store.dbapi import Tx

logger = logging.getLogger("kinds.portfolios.kind")

prepare_parser()  # a ranking's score and filter are expressions: not parsed while RUNNING

FUNCTION = "kinds.portfolios.kind.run_portfolio"
"""The job name every queued portfolio message carries (never changes)."""

PORTFOLIOS_SUBMITTED = "backtest_portfolios_submitted_total"


@dataclass
class PortfolioExecution:
    """A computed portfolio: what it stores with its SUCCEEDED transition."""

    portfolio_id: str
    result: dict[str, Any]
    text: str

    def store(self, tx: Tx) -> bool:
        return store_result(tx, self.portfolio_id, self.result, self.text)

    def summary(self, elapsed_ms: float) -> str:
        metrics = self.result["metrics"]
        return (
            f"succeeded in {elapsed_ms:.0f} ms: {len(self.result['tickers'])} tickers, "
            f"{metrics['num_orders']} orders, return {metrics['total_return_pct']:.2f} %"
        )


def result_of(message: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(result, its JSON text) of a stored portfolio message: the one execution path of
    Jobs and local runs.

    :raise RequestError: a ticker's file is missing, invalid or has no bar in the window.
    """
    result, text, _ = computed(message)
    return result, text


def computed(message: dict[str, Any]) -> tuple[dict[str, Any], str, float]:
    """``result_of`` and the universe's bars per year (what a search's statistics annualise
    with).

    :raise RequestError: as ``result_of``.
    """
    universe = load_universe(message)
    simulation = simulator(message, universe)
    result = build_result(
        message["portfolio_id"],
        message,
        universe,
        simulation(portfolio_config(message, universe)),
        PORTFOLIO_MAX_ORDERS.value(),
        simulation,
    )
    return result, result_json(result), universe.bars_per_year


def compute(claim: Claim, message: dict[str, Any]) -> PortfolioExecution:
    """Load the universe, simulate, build the result (module docstring)."""
    result, text = result_of(message)
    return PortfolioExecution(claim.item_id, result, text)


def run_locally(message: dict[str, Any]) -> str:
    """Compute a portfolio request with no queue and no database; its result JSON.

    :raise RequestError: the request, or its data, cannot serve a portfolio.
    """
    import uuid

    from kinds.portfolios.request_model import parse_portfolio

    request = parse_portfolio(message)
    request["portfolio_id"] = request["portfolio_id"] or str(uuid.uuid4())
    with run_context(request["portfolio_id"]):
        started = time.perf_counter()
        _, text = result_of(request)
        logger.info("computed in %.1f ms", (time.perf_counter() - started) * 1000)
    return text


def _describe(payload: dict[str, Any]) -> str:
    return f"portfolio {payload['portfolio_id']} ({len(payload['tickers'])} tickers)"


PORTFOLIO = WorkKind(
    name="portfolio",
    function=FUNCTION,
    items=ItemTable(name=TABLE, id_field="portfolio_id"),
    compute=compute,
    describe=_describe,
    run_locally=run_locally,
    settings=SETTINGS,
    resource="portfolios",
    noun="portfolio",
    schema="web.api.portfolios:json_schema",
    search="kinds.portfolios.search:SEARCH",
    telemetry={
        PORTFOLIOS_SUBMITTED: "Portfolios accepted by POST /api/portfolios and enqueued.",
    },
)
"""The portfolio kind."""
