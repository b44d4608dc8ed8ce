"""A portfolio's result from its normalised request and its loaded universe: eligibility and
scores per ticker (``rules.ranking`` on each ticker's own bars and the tickers its ``ref``
calls read, then aligned), the schedule,
the target weights and the simulation (``engine.portfolio``), then the derived outputs (run
metrics of the equity and of the benchmark, drawdowns, sampled weights, contributions,
turnover, orders) as one JSON-ready dict.

Pure: no I/O (the universe is loaded by ``kinds.portfolios.universe``). The same request on
the same files gives the same dict, and ``result_json`` the same bytes.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from adapters.curves import drawdown_pct
from adapters.metrics import curve_metrics
from engine import ENGINE_VERSION
from engine.portfolio import (
    NO_SECTOR,
    PORTFOLIO_ENGINE_VERSION,
    ActionTable,
    ForcedCloses,
    PortfolioActions,
    PortfolioConfig,
    PortfolioLiquidity,
    PortfolioResult,
    aligned_inputs,
    cap_weights,
    long_short_weights,
    rebalance_schedule,
    simulate_portfolio,
    target_volatility,
    target_weights,
)
from engine.portfolio.risk import DEFAULT_LOOKBACK, RISK_METHODS
from engine.result import EXIT_REASONS
from kinds.portfolios.groups import group_selection
from kinds.portfolios.request_model import LIQUIDITY_DEFAULTS
from kinds.portfolios.rule_signals import rules_simulator
from kinds.portfolios.strategy import RULES_METHOD
from kinds.portfolios.universe import Universe
from rules.ranking import compile_ranking, evaluate

RESULT_SCHEMA_VERSION = "1.3.0"
"""The version of a portfolio result's JSON shape (docs/api.md): a field added bumps the
minor version; nothing is renamed or dropped. 1.1.0: ``delistings``, ``survivorship``, an
order's ``reason`` and ``events_applied`` (each present only when it applies). 1.2.0:
``liquidity`` (only with a liquidity field). 1.3.0: ``capacity`` (only with ``capacity``)."""

WEIGHT_SAMPLES = 260
"""Most bars the stored weights are sampled at (evenly over the window, always the last): a
stacked area of 500 tickers stays a few hundred kilobytes."""


def _eligibility(request: dict, universe: Universe) -> tuple[np.ndarray, np.ndarray | None]:
    """(eligible (T, N), scores (T, N) or None): a ticker is eligible on the bars it has;
    a ranking also needs its score defined and its filter holding there, and with
    ``top_groups`` its sector among the best and itself among its sector's ``per_group``
    best (``kinds.portfolios.groups``)."""
    eligible = np.isfinite(universe.close)
    if universe.members is not None:  # index changes are announced: the fill bar counts too
        members = universe.members
        eligible &= members & np.vstack([members[1:], members[-1:]])
    allocation = request["allocation"]
    if allocation["method"] != "rank":
        return eligible, None
    ranking = compile_ranking(allocation["score"], allocation["filter"])
    scores = np.full(universe.close.shape, np.nan)
    passes = np.zeros(universe.close.shape, dtype=bool)
    for column, (bars, rows) in enumerate(zip(universe.ranked_bars(), universe.rows, strict=True)):
        score, ok = evaluate(ranking, bars, request["params"], universe.references)
        inside = rows >= 0
        scores[rows[inside], column] = score[inside]
        passes[rows[inside], column] = ok[inside]
    scored = eligible & np.isfinite(scores)
    if allocation.get("top_groups"):
        narrowed = group_selection(
            scored & passes,
            scores,
            scored,
            _sector_codes(universe),
            top_groups=allocation["top_groups"],
            per_group=allocation.get("per_group"),
            how=allocation["group_score"],
        )
        return narrowed, scores
    return scored & passes, scores


def _warm_close(universe: Universe, lookback: int) -> np.ndarray:
    """(W, N) closes of the last ``lookback`` days before the window (on the union of the
    tickers' own days, NaN where a ticker has no bar), so a risk weighting's first
    decisions have trailing returns (the window's own closes follow them)."""
    days, closes = [], []
    for bars, rows in zip(universe.ranked_bars(), universe.rows, strict=True):
        before = rows < 0
        days.append(bars.timestamps[before][-lookback:].astype("datetime64[D]"))
        closes.append(bars.close[before][-lookback:])
    calendar = np.unique(np.concatenate(days)) if days else np.empty(0, "datetime64[D]")
    calendar = calendar[-lookback:]
    warm = np.full((calendar.size, len(days)), np.nan)
    for column, (own, close) in enumerate(zip(days, closes, strict=True)):
        keep = own >= calendar[0] if calendar.size else np.zeros(own.size, dtype=bool)
        warm[np.searchsorted(calendar, own[keep]), column] = close[keep]
    return warm


def _targets(request: dict, universe: Universe, decide: np.ndarray) -> np.ndarray:
    """The target weights of the decision bars: weighted (a risk weighting and the
    volatility target warmed up on the closes before the window), capped per ticker and per
    sector, then scaled to the volatility target."""
    allocation = request["allocation"]
    eligible, scores = _eligibility(request, universe)
    fixed = None
    if allocation["method"] == "fixed":
        fixed = np.array([allocation["weights"][t] for t in universe.tickers], dtype=np.float64)
    weighting = allocation["weighting"] or "equal"
    close, warm = universe.ranked_close(), 0
    lookback = allocation.get("risk_lookback") or DEFAULT_LOOKBACK
    volatility = allocation.get("target_volatility")
    if weighting in RISK_METHODS or volatility is not None:
        prefix = _warm_close(universe, lookback)
        warm = prefix.shape[0]
        close = np.vstack([prefix, close])
        pad = np.zeros((warm, close.shape[1]), dtype=bool)
        eligible = np.vstack([pad, eligible])
        scores = None if scores is None else np.vstack([np.full(pad.shape, np.nan), scores])
        decide = np.concatenate([np.zeros(warm, dtype=bool), decide])
    if allocation.get("short_n") is not None:
        targets = long_short_weights(
            eligible,
            scores,
            top_n=allocation["top_n"],
            short_n=allocation["short_n"],
            gross=allocation["gross_exposure"],
            net=allocation["net_exposure"],
            weighting=weighting,
            rows=decide,
            close=close,
            lookback=lookback,
        )
    else:
        targets = target_weights(
            eligible,
            method=allocation["method"],
            fixed=fixed,
            scores=scores,
            top_n=allocation["top_n"],
            weighting=weighting,
            rows=decide,
            close=close,
            lookback=lookback,
        )
    targets = cap_weights(
        targets,
        max_weight=allocation.get("max_weight"),
        sectors=_sector_codes(universe),
        max_sector_weight=allocation.get("max_sector_weight"),
    )
    if volatility is not None:
        targets = target_volatility(
            targets,
            close,
            target=volatility,
            max_leverage=_leverage(request),
            lookback=lookback,
            bars_per_year=universe.bars_per_year,
        )
    return targets[warm:]


def _leverage(request: dict) -> float:
    """The most the book may hold per unit of value: ``max_leverage`` with a volatility
    target, 1 otherwise."""
    allocation = request["allocation"]
    if allocation.get("target_volatility") is None:
        return 1.0
    return float(allocation.get("max_leverage") or 1.0)


def _book_leverage(request: dict) -> float:
    """The most the book may hold per unit of value (``PortfolioConfig.max_leverage``): a
    long-short book's ``gross_exposure`` times ``_leverage``, and never below 1 — the cap
    says how far buys may borrow, and a book below 1 (a gross exposure under 1) holds the
    rest in cash, borrowing nothing."""
    gross = request["allocation"].get("gross_exposure") or 1.0
    return max(1.0, _leverage(request) * gross)


def _sector_codes(universe: Universe) -> np.ndarray:
    """(N,) a code per distinct catalog sector, ``NO_SECTOR`` where unknown."""
    names = universe.sectors or (None,) * len(universe.tickers)
    known = sorted({name for name in names if name is not None})
    return np.array([known.index(n) if n is not None else NO_SECTOR for n in names], np.int64)


def delisting_bars(universe: Universe) -> list[tuple[int, int, float]]:
    """(column, bar, cash per share) of each ticker delisted inside the window: the bar is
    the first of the calendar after both its last bar and the day before its delisting
    (its holding is closed at that bar's open), the cash its delisting's, else its last
    close. A delisting on or after the window's last bar closes nothing."""
    closes = []
    for column, event in enumerate(universe.delistings):
        if event is None:
            continue
        bars = universe.histories[column]
        last = bars.timestamps[-1].astype("datetime64[D]")
        after = max(np.datetime64(event.day, "D"), last + 1)
        bar = int(np.searchsorted(universe.days, after))
        if bar < universe.days.size:
            cash = float(bars.close[-1]) if event.value is None else float(event.value)
            closes.append((column, bar, cash))
    return closes


def forced_closes(universe: Universe) -> ForcedCloses | None:
    """The bars each ticker may not be held on (after its delisting; outside its index
    membership) and the delistings' cash, or None when there are none (the simulation is
    then the one without them, byte for byte)."""
    delisted = delisting_bars(universe)
    if not delisted and universe.members is None:
        return None
    shape = universe.close.shape
    blocked = np.zeros(shape, dtype=bool) if universe.members is None else ~universe.members
    price = np.full(shape, np.nan)
    for column, bar, cash in delisted:
        blocked[bar:, column] = True
        price[bar, column] = cash
    return ForcedCloses(blocked, price)


class Simulation(Protocol):
    """A request's simulation as a function of its configuration (``simulator``);
    ``compiled`` asks for the compiled walk where it covers the book (a capacity curve's
    many books pay for numba once; the same numbers either way)."""

    def __call__(self, config: PortfolioConfig, compiled: bool = False) -> PortfolioResult: ...


def simulator(request: dict, universe: Universe) -> Simulation:
    """The core's simulation of ``request`` over ``universe`` as a function of its
    configuration: what the capital does not change (the schedule, the target weights,
    the forced closes, the liquidity inputs; a portfolio of rules' signals) is computed
    once, and each call simulates the one ledger with its ``config`` (the capacity curve
    calls it at each capital)."""
    closes = forced_closes(universe)
    if request["allocation"]["method"] == RULES_METHOD:
        return rules_simulator(request, universe, closes)
    rebalance = request["rebalance"]
    decide = rebalance_schedule(universe.days, rebalance["schedule"], rebalance["every_n_bars"])
    targets = _targets(request, universe, decide)
    liquidity = liquidity_inputs(portfolio_config(request, universe), universe)

    def at(config: PortfolioConfig, compiled: bool = False) -> PortfolioResult:
        return simulate_portfolio(
            universe.open,
            universe.close,
            targets,
            decide,
            config,
            closes,
            universe.actions,
            liquidity,
            compiled,
        )

    return at


def simulate(request: dict, universe: Universe) -> PortfolioResult:
    """The core's simulation of ``request`` over ``universe``."""
    return simulator(request, universe)(portfolio_config(request, universe))


def liquidity_inputs(config: PortfolioConfig, universe: Universe) -> PortfolioLiquidity | None:
    """The per-bar liquidity inputs of a liquid book (``engine.portfolio.liquidity``), each
    ticker's computed on its own bars as traded (its whole history, so the window's first
    bars are warmed up); None without a liquidity field."""
    if not config.liquid:
        return None
    columns = [(bars.high, bars.low, bars.close, bars.volume) for bars in universe.histories]
    return aligned_inputs(config, columns, universe.rows, universe.days.size)


def portfolio_config(request: dict, universe: Universe) -> PortfolioConfig:
    """The core's configuration of ``request``."""
    rebalance, allocation = request["rebalance"], request["allocation"]
    return PortfolioConfig(
        initial_capital=request["initial_capital"],
        fee_rate=request["fee_rate"],
        slippage_bps=request["slippage_bps"],
        drift_threshold=rebalance["drift_threshold"],
        min_trade=rebalance.get("min_trade") or 0.0,
        max_leverage=_book_leverage(request),
        cash_rate=request.get("cash_rate") or 0.0,
        allow_short=allocation.get("short_n") is not None,
        borrow_rate=request.get("borrow_rate") or 0.0,
        bars_per_year=universe.bars_per_year,
        fee_fixed=request.get("fee_fixed", 0.0),
        fee_per_share=request.get("fee_per_share", 0.0),
        fee_min=request.get("fee_min", 0.0),
        fee_max=request.get("fee_max", math.inf),
        **{name: request[name] for name in LIQUIDITY_DEFAULTS if name in request},
    )


def _floats(values: np.ndarray) -> list[float | None]:
    """The values as JSON-ready floats, None where not finite (one numpy check first: most
    series have no gap, and a 500-ticker result has a few hundred thousand values)."""
    values = np.asarray(values, dtype=np.float64)
    if np.isfinite(values).all():
        return values.tolist()
    return [v if math.isfinite(v) else None for v in values.tolist()]


def _sample_bars(n_bars: int) -> np.ndarray:
    if n_bars <= WEIGHT_SAMPLES:
        return np.arange(n_bars)
    bars = np.linspace(0, n_bars - 1, WEIGHT_SAMPLES).round().astype(np.int64)
    return bars[np.r_[True, bars[1:] != bars[:-1]]]  # rising: np.unique without numpy.ma


def _weights(result: PortfolioResult, universe: Universe, dates: list[str]) -> dict[str, Any]:
    """The holdings' weights at up to ``WEIGHT_SAMPLES`` closes, for every ticker ever held."""
    held = np.flatnonzero((result.shares != 0).any(axis=0))
    bars = _sample_bars(len(dates))
    return {
        "timestamps": [dates[b] for b in bars.tolist()],
        "tickers": [universe.tickers[j] for j in held.tolist()],
        "values": [_floats(result.weights[bars, j]) for j in held.tolist()],
        "cash": _floats(1.0 - result.weights[bars].sum(axis=1)),
    }


DELISTING = "delisting"
LEFT_INDEX = "left the index"
"""An order's ``reason``: a forced close at a delisting, or when its ticker left the
``membership`` index (a rebalance's orders have none)."""


def _orders(result: PortfolioResult, universe: Universe, dates: list[str], limit: int) -> list:
    orders = result.orders
    count = min(len(orders), limit)
    forced = np.zeros(len(orders), bool) if orders.forced is None else orders.forced
    delisted = {(bar, column) for column, bar, _ in delisting_bars(universe)}
    reasons = None if orders.reason is None else orders.reason[:count].tolist()
    rows = []
    for bar, asset, shares, price, fee, value, closed in zip(
        orders.bar[:count].tolist(),
        orders.asset[:count].tolist(),
        orders.shares[:count].tolist(),
        orders.price[:count].tolist(),
        orders.fee[:count].tolist(),
        orders.value[:count].tolist(),
        forced[:count].tolist(),
        strict=True,
    ):
        row = {
            "date": dates[bar],
            "ticker": universe.tickers[asset],
            "side": "buy" if shares > 0 else "sell",
            "shares": abs(shares),
            "price": price,
            "fee": fee,
            "value": abs(value),
        }
        if closed:
            row["reason"] = DELISTING if (bar, asset) in delisted else LEFT_INDEX
        elif reasons is not None and reasons[len(rows)] > 0:
            row["reason"] = EXIT_REASONS[reasons[len(rows)]]
        rows.append(row)
    return rows


def _delistings(result: PortfolioResult, universe: Universe, dates: list[str]) -> list:
    """Each delisting inside the window: the ticker, its delisting day, the day its
    holding was closed, the cash per share and the shares closed (0: not held)."""
    orders = result.orders
    out = []
    for column, bar, cash in delisting_bars(universe):
        closed = (orders.bar == bar) & (orders.asset == column)
        if orders.forced is not None:
            closed &= orders.forced
        out.append(
            {
                "ticker": universe.tickers[column],
                "date": universe.delistings[column].day.isoformat(),
                "closed_on": dates[bar],
                "price": cash,
                "shares": int(-orders.shares[closed].sum()),
            }
        )
    return out


def _contributions(result: PortfolioResult, universe: Universe, capital: float) -> list:
    pnl = result.contribution
    total = float(pnl.sum())
    bought = np.zeros(len(universe.tickers))
    np.add.at(bought, result.orders.asset, np.abs(result.orders.value))
    return [
        {
            "ticker": ticker,
            "pnl": float(pnl[j]),
            "pct_of_capital": float(pnl[j] / capital * 100.0),
            "share_of_pnl_pct": float(pnl[j] / total * 100.0) if total else None,
            "traded_value": float(bought[j]),
        }
        for j, ticker in enumerate(universe.tickers)
    ]


def build_result(
    portfolio_id: str,
    request: dict,
    universe: Universe,
    result: PortfolioResult,
    max_orders: int,
    simulation: Simulation | None = None,
) -> dict[str, Any]:
    """The stored result of one simulation (docs/api.md, "Portfolio result");
    ``simulation``: the request's ``simulator`` when the caller built one (a capacity curve
    re-simulates with it rather than computing the weights again)."""
    dates = [str(d) for d in universe.days.astype("datetime64[D]").tolist()]
    stamps = universe.days.astype("datetime64[s]")
    capital = request["initial_capital"]
    orders = result.orders
    fees = float(orders.fee.sum())
    years = max(len(dates) / universe.bars_per_year, 1e-9)
    turnover_total = float(result.turnover.sum())
    metrics = curve_metrics(stamps, result.equity, capital, len(orders), universe.bars_per_year)
    metrics.update(
        num_orders=len(orders),
        num_rebalances=int(result.decisions.sum()),
        fees_paid=fees,
        turnover_pct=turnover_total * 100.0,
        annual_turnover_pct=turnover_total / years * 100.0,
        avg_cash_pct=float((1.0 - result.weights.sum(axis=1)).mean() * 100.0),
    )
    benchmark = curve_metrics(stamps, result.benchmark, capital, 0, universe.bars_per_year)
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "portfolio_id": portfolio_id,
        "portfolio_engine_version": PORTFOLIO_ENGINE_VERSION,
        "engine_version": ENGINE_VERSION,
        "data_hash": universe.data_hash,
        "request": request,
        "tickers": list(universe.tickers),
        "timestamps": dates,
        "equity": _floats(result.equity),
        "drawdown_pct": _floats(drawdown_pct(result.equity)),
        "cash": _floats(result.cash),
        "metrics": metrics,
        "benchmark": {
            "name": "equal-weight buy-and-hold of the universe",
            "equity": _floats(result.benchmark),
            "drawdown_pct": _floats(drawdown_pct(result.benchmark)),
            "metrics": benchmark,
        },
        "weights": _weights(result, universe, dates),
        "contribution": _contributions(result, universe, capital),
        "turnover": {
            "timestamps": [dates[b] for b in np.flatnonzero(result.turnover).tolist()],
            "values": _floats(result.turnover[result.turnover != 0]),
        },
        "orders": _orders(result, universe, dates, max_orders),
        "orders_total": len(orders),
        "orders_truncated": len(orders) > max_orders,
    } | _optional(request, result, universe, dates, metrics, simulation)


def _optional(
    request: dict,
    result: PortfolioResult,
    universe: Universe,
    dates: list[str],
    metrics: dict,
    simulation: Simulation | None = None,
) -> dict[str, Any]:
    """The fields a result has only when they apply (so a result without them keeps its
    bytes): ``delistings`` when a ticker was delisted inside the window, ``events_applied``
    when a split or dividend met a holding, ``survivorship`` when the request asks for the
    audit, ``liquidity`` with a liquidity field, ``capacity`` when the request asks for the
    curve."""

    out: dict[str, Any] = {}
    delistings = _delistings(result, universe, dates)
    if delistings:
        out["delistings"] = delistings
    if result.events is not None:
        out["events_applied"] = _events_applied(result.events, universe, dates)
    if request.get("survivorship_audit"):
        out["survivorship"] = survivorship(request, universe, metrics)
    if result.rebalance_orders is not None:
        out["liquidity"] = liquidity_summary(result)
    if request.get("capacity"):
        out["capacity"] = capacity_curve(request, universe, simulation, result)
    return out


def capacity_curve(
    request: dict,
    universe: Universe,
    simulation: Simulation | None = None,
    own: PortfolioResult | None = None,
) -> dict[str, Any]:
    """The request's capacity document (``adapters.capacity.capacity_document``; its
    columns, reference and half-Sharpe capital are a run's): the same portfolio
    re-simulated (``simulation``, else ``simulator``: the weights computed once) at each of
    its ``capacity_capitals`` (default ``engine.capacity.capital_grid()``), only the
    capital changed; each capital's metrics are the result's own (``curve_metrics``: a
    trade is an order), its unfilled share the ``liquidity`` block's (0 without a
    liquidity field, docs/capacity.md). ``own``, the request's result when the caller has
    it, stands for the capital the request was submitted with (the same ledger run)."""
    from adapters.capacity import COLUMNS, capacity_document
    from engine.capacity import capital_grid

    run = simulation or simulator(request, universe)
    base = portfolio_config(request, universe)
    stamps = universe.days.astype("datetime64[s]")
    capitals = request.get("capacity_capitals") or capital_grid()
    columns: dict[str, list] = {name: [] for name in COLUMNS[1:]}
    for capital in capitals:
        if capital == base.initial_capital:
            result = own if own is not None else run(base)
        else:
            result = run(replace(base, initial_capital=capital), compiled=True)
        metrics = curve_metrics(
            stamps, result.equity, capital, len(result.orders), universe.bars_per_year
        )
        for name in COLUMNS[1:-1]:
            columns[name].append(metrics[name])
        log = result.rebalance_orders
        columns["unfilled_pct"].append(
            0.0 if log is None else liquidity_summary(result)["unfilled_pct"]
        )
    return capacity_document(capitals, *columns.values())


def liquidity_summary(result: PortfolioResult) -> dict[str, Any]:
    """A liquid book's rebalance orders in sum (``RebalanceOrders``): how many, the shares
    they ordered and filled (over their bar and the bars their remainder was carried to),
    how many were not filled whole, and the unfilled share of the ordered shares, %."""
    log = result.rebalance_orders
    ordered = int(np.abs(log.ordered).sum())
    filled = int(np.abs(log.filled).sum())
    return {
        "rebalance_orders": len(log),
        "partly_filled": int((log.filled != log.ordered).sum()),
        "ordered_shares": ordered,
        "filled_shares": filled,
        "unfilled_pct": (ordered - filled) / ordered * 100.0 if ordered else 0.0,
    }


APPLIED_FIELDS = ("date", "ticker", "type", "value", "shares_before", "shares_after", "cash")
"""Keys of an ``events_applied`` record: the date of the ex-bar it acted at, the ticker,
``split`` or ``dividend``, the ratio or dividend per share, the signed shares before and
after it and the cash it moved (a dividend received or paid, a split's cash in lieu)."""


def _events_applied(events: ActionTable, universe: Universe, dates: list[str]) -> list:
    """One record (``APPLIED_FIELDS``) per split or dividend that met a holding, in the
    order they acted."""
    rows = zip(
        events.bar,
        events.asset,
        events.kind_names(),
        events.value,
        events.before,
        events.after,
        events.cash,
        strict=True,
    )
    return [
        dict(
            zip(
                APPLIED_FIELDS,
                (dates[bar], universe.tickers[asset], kind, value, before, after, cash),
                strict=True,
            )
        )
        for bar, asset, kind, value, before, after, cash in rows
    ]


AUDIT_METRICS = ("cagr_pct", "sharpe_ratio", "total_return_pct")
"""The metrics the survivorship audit sets side by side."""


def delisted_columns(request: dict, universe: Universe) -> list[int]:
    """The columns of the tickers delisted on or before the window's last day."""
    end = np.datetime64(request["end_date"], "D")
    return [
        j
        for j, event in enumerate(universe.delistings)
        if event is not None and np.datetime64(event.day, "D") <= end
    ]


def survivors(request: dict, universe: Universe) -> tuple[dict, Universe] | None:
    """The same request and universe without the delisted tickers (``delisted_columns``):
    what a backtest on the tickers still listed at the end would load (the calendar the
    union of theirs), or None when no ticker survives."""
    gone = set(delisted_columns(request, universe))
    keep = [j for j in range(len(universe.tickers)) if j not in gone]
    if not keep:
        return None
    has_bar = np.isfinite(universe.close[:, keep]).any(axis=1)
    position = np.cumsum(has_bar) - 1
    rows = tuple(
        np.where(universe.rows[j] >= 0, position[np.maximum(universe.rows[j], 0)], -1) for j in keep
    )
    members = None if universe.members is None else universe.members[has_bar][:, keep]
    actions = universe.actions
    if actions is not None:
        split, dividend = actions.split[has_bar][:, keep], actions.dividend[has_bar][:, keep]
        acting = (split != 1.0).any() or (dividend != 0.0).any()
        actions = PortfolioActions(split, dividend) if acting else None
    subset = Universe(
        tickers=tuple(universe.tickers[j] for j in keep),
        days=universe.days[has_bar],
        open=universe.open[has_bar][:, keep],
        close=universe.close[has_bar][:, keep],
        histories=tuple(universe.histories[j] for j in keep),
        rows=rows,
        data_hash=universe.data_hash,
        bars_per_year=universe.bars_per_year,
        sectors=tuple(universe.sectors[j] for j in keep) if universe.sectors else (),
        delistings=tuple(universe.delistings[j] for j in keep) if universe.delistings else (),
        members=members,
        actions=actions,
        signals=tuple(universe.signals[j] for j in keep) if universe.signals else (),
        references=universe.references,
    )
    allocation = dict(request["allocation"])
    if allocation.get("weights") is not None:
        allocation["weights"] = {t: allocation["weights"][t] for t in subset.tickers}
    narrowed = {**request, "tickers": list(subset.tickers), "allocation": allocation}
    narrowed.pop("survivorship_audit", None)
    return narrowed, subset


def _audit_row(metrics: dict) -> dict[str, float | None]:
    row = {}
    for key in AUDIT_METRICS:
        value = metrics.get(key)
        row[key] = float(value) if value is not None and math.isfinite(value) else None
    return row


def survivorship(request: dict, universe: Universe, metrics: dict) -> dict[str, Any]:
    """The survivorship audit: the request's metrics (``metrics``) beside those of the same
    request on the tickers never delisted in the window, and their difference (survivors
    only - with the delisted: how much the survivorship bias adds)."""
    delisted = [universe.tickers[j] for j in delisted_columns(request, universe)]
    ours = _audit_row(metrics)
    if not delisted:
        theirs = dict(ours)
    else:
        narrowed = survivors(request, universe)
        if narrowed is None:
            theirs = dict.fromkeys(AUDIT_METRICS)
        else:
            sub_request, subset = narrowed
            result = simulate(sub_request, subset)
            stamps = subset.days.astype("datetime64[s]")
            capital = request["initial_capital"]
            curve = curve_metrics(
                stamps, result.equity, capital, len(result.orders), subset.bars_per_year
            )
            theirs = _audit_row(curve)
    difference = {
        key: None if ours[key] is None or theirs[key] is None else theirs[key] - ours[key]
        for key in AUDIT_METRICS
    }
    return {
        "with_delisted": ours,
        "survivors_only": theirs,
        "difference": difference,
        "delisted": delisted,
    }


def result_json(result: dict[str, Any]) -> str:
    """The stored text of a result: keys in order, no NaN (``_floats`` made them null)."""
    return json.dumps(result, allow_nan=False, separators=(",", ":"))
