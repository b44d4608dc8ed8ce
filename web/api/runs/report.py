"""``GET /api/runs/<run_id>/report``: the run report of a SUCCEEDED run (monthly returns,
rolling Sharpe and volatility, underwater curve and worst drawdowns, the strategy against a
benchmark; ``adapters.report``), computed on each request from the stored result and, for a
benchmark ticker, that ticker's data file over the run's dates. Nothing is stored. It carries
the run's ``probabilistic_sharpe`` (PSR and its inputs): the stored one, or for a result
older than schema 1.3.0 the same computed from its stored equity curve, and the report-depth
metrics (``report_metrics``, their definitions and notes in ``report_definitions``;
``web.api.tearsheet``). ``GET /api/runs/<run_id>/report.html``: the same report as one
self-contained HTML file.

Query: ``window`` (bar returns of the rolling statistics, 2 .. the run's bar returns;
default 63, or all of them when fewer) and ``benchmark`` (a catalog ticker; empty or absent:
the run's own buy and hold, stored with its result).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from flask.typing import ResponseReturnValue

from adapters import buy_and_hold
from adapters.curves import bar_step
from adapters.exposure import portfolio_exposure_pct
from adapters.report import DEFAULT_WINDOW, run_report
from adapters.rolling import MIN_WINDOW
from adapters.run_robustness import sharpe_probability
from adapters.tearsheet import closed_trade_pnl, trade_fees
from adapters.timestamps import from_iso_utc
from data import (
    DataQualityError,
    EmptyRangeError,
    UnknownTickerError,
    load_catalog,
    load_range,
    validate_ticker,
)
from engine import TRADING_DAYS
from kinds.runs.contract import request_moment
from web.api.runs.blueprint import bp
from web.api.runs.data import stored_result
from web.api.tearsheet import (
    export,
    metric_rows,
    report_definitions,
    report_metric_values,
    run_metric_keys,
)
from web.errors import ApiError
from web.query import count

OWN_BENCHMARK = "buy & hold"
"""The label of the default benchmark: the run's own ticker, bought and held."""


def _benchmark(result: dict[str, Any]) -> tuple[str | None, dict[str, list]]:
    """The ``benchmark`` query parameter as (ticker or None, its equity curve). None is
    the run's own buy and hold: the stored curve, or the run's ticker bought and held
    when the stored result has none.

    :raise ApiError 400: (field ``benchmark``) see ``_buy_and_hold``.
    """
    ticker = request.args.get("benchmark", "").strip().upper()
    if ticker:
        return ticker, _buy_and_hold(ticker, result["request"])
    own = result.get("benchmark") or {}
    if own.get("timestamps") and own.get("equity"):
        return None, own
    return None, _buy_and_hold(result["request"]["ticker"], result["request"])


def _buy_and_hold(ticker: str, run: dict[str, Any]) -> dict[str, list]:
    """``ticker`` bought and held with the run's ``initial_capital`` over its dates.

    :raise ApiError 400: (field ``benchmark``) an invalid or unknown ticker, or one whose
        data is unreadable or has no bar in the run's dates.
    """
    try:
        bars = load_range(
            validate_ticker(ticker),
            request_moment(run["start_date"]),
            request_moment(run["end_date"]),
            current_app.config["DATA_DIR"],
        ).bars
    except (UnknownTickerError, EmptyRangeError) as exc:
        raise ApiError(400, exc.message, field="benchmark") from None
    except DataQualityError as exc:
        raise ApiError(
            400, f"{ticker}'s data file is unreadable: {exc}", field="benchmark"
        ) from None
    return buy_and_hold(bars, run["initial_capital"])


def _bars_per_year(ticker: str) -> float:
    """The run's ticker's bars per year (its catalog entry: 252 for daily equity), what its
    own metrics were annualised with; 252 when the ticker has left the catalog."""
    try:
        return (
            load_catalog(current_app.config["DATA_DIR"], skip_invalid=True).info(ticker).annual_bars
        )
    except UnknownTickerError:
        return float(TRADING_DAYS)


@bp.get("/<run_id>/report")
def report(run_id: str) -> ResponseReturnValue:
    """The run report of a SUCCEEDED run against a benchmark (docs/api.md)."""
    return _report(run_id)[0]


@bp.get("/<run_id>/report.html")
def report_html(run_id: str) -> ResponseReturnValue:
    """The run report as one self-contained HTML file (docs/api.md), the same query."""
    body, result = _report(run_id)
    run = result["request"]
    stored = result.get("metrics") or {}
    title = f"Run {run_id[:8]} — {run['ticker']} {run.get('rule_type', '')}".strip()
    subtitle = (
        f"{run['start_date']} → {run['end_date']}, capital {run['initial_capital']:,}; "
        f"benchmark {body['benchmark']['label']}; run {run_id}"
    )
    groups = [
        {"title": "Run metrics", "rows": metric_rows([stored], run_metric_keys(stored))},
        {
            "title": "Report metrics",
            "rows": metric_rows([body["report_metrics"]], list(body["report_metrics"])),
        },
    ]
    curves = {
        "timestamps": from_iso_utc(body["timestamps"]),
        "labels": body["timestamps"],
        "equity": body["equity"],
        "benchmark": body["benchmark"]["equity"],
        "benchmark_label": body["benchmark"]["label"],
        "underwater_pct": body["underwater_pct"],
    }
    return export(
        f"report-{run_id}.html", title, subtitle, ["Run"], groups, curves, body["drawdowns"]
    )


def _report(run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report body of ``run_id`` and its stored result."""
    result = json.loads(stored_result(run_id))
    returns = len(result["equity_curve"]["timestamps"]) - 1
    high = max(MIN_WINDOW, returns)
    window = count("window", min(DEFAULT_WINDOW, high), MIN_WINDOW, high)
    ticker, curve = _benchmark(result)
    # a long run's stored curve holds every k-th bar: its returns are k bars apart
    per_year = _bars_per_year(result["request"]["ticker"]) / bar_step(result["equity_curve"])
    body = run_report(
        result["equity_curve"],
        curve,
        window,
        per_year,
        portfolio_exposure_pct(result.get("portfolio_curve") or {}),
    )
    if ticker is not None and body["benchmark"]["stats"]["bars"] < 2:
        raise ApiError(
            400, f"{ticker} has fewer than 2 bars in common with the run", field="benchmark"
        )
    body["run_id"] = run_id
    body["probabilistic_sharpe"] = result.get("probabilistic_sharpe") or sharpe_probability(
        result["equity_curve"]["equity"]
    )
    body["benchmark"] |= {"ticker": ticker, "label": ticker or OWN_BENCHMARK}
    body["report_metrics"] = report_metric_values(
        from_iso_utc(body["timestamps"]),
        body["equity"],
        per_year,
        closed_trade_pnl(result.get("trades") or []),
        trade_fees(result.get("trades") or []),
    )
    body["report_definitions"] = report_definitions()
    return body, result
