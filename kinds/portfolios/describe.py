"""What a portfolio's list row and page say of its request (pure): the parameters a reader
compares portfolios by (universe size, allocation, schedule, drift threshold, the ranking's
texts shortened and its ``$name`` values, and its construction: the weighting, a long-short
book, caps, volatility target, minimum trade, rates, the fees beyond the rate, a
point-in-time index and the survivorship audit, each a short phrase such as
``short 3 (gross 2, net 0)``), a readable label for a portfolio without a name
(``rank top 5 by roc(close, $n) · monthly · 30 tickers``, ``risk parity · 10% volatility ·
monthly · 12 tickers``) and the page's one-line summary of the whole request."""

from __future__ import annotations

from typing import Any

from kinds.portfolios.request_model import FEE_FIELDS

TEXT_SHOWN = 60
"""Longest score or filter expression a list row shows; a longer one ends in ``…``."""


def shorten(text: str | None, limit: int = TEXT_SHOWN) -> str | None:
    """``text`` on one line, cut to ``limit`` characters (the last one ``…``) when longer."""
    if text is None:
        return None
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def parameters(request: dict[str, Any]) -> dict[str, Any]:
    """The normalised request's parameters as a list row shows them (module docstring); a
    field the stored request lacks is None."""
    allocation = request.get("allocation") or {}
    rebalance = request.get("rebalance") or {}
    return {
        "tickers": len(request.get("tickers") or ()),
        "method": allocation.get("method"),
        "top_n": allocation.get("top_n"),
        "weighting": allocation.get("weighting"),
        "score": shorten(allocation.get("score")),
        "filter": shorten(allocation.get("filter")),
        "params": request.get("params") or {},
        "schedule": rebalance.get("schedule"),
        "every_n_bars": rebalance.get("every_n_bars"),
        "drift_threshold": rebalance.get("drift_threshold"),
        "construction": construction(request),
    }


def _percent(value: float) -> str:
    return f"{value * 100:g}%"


def construction(request: dict[str, Any]) -> list[str]:
    """The construction settings a normalised request sets, each a short phrase, in the
    form's order: a weighting other than equal, a long-short book, a group ranking, the
    risk lookback, the
    caps, the volatility target, the minimum trade, the cash and borrow rates, the fees,
    the liquidity fields, the point-in-time index and the survivorship audit."""
    allocation = request.get("allocation") or {}
    rebalance = request.get("rebalance") or {}
    weighting = allocation.get("weighting")
    out = [RISK_LABELS.get(weighting) or ("score-weighted" if weighting == "score" else "")]
    if allocation.get("short_n"):
        gross, net = allocation.get("gross_exposure"), allocation.get("net_exposure")
        out.append(f"short {allocation['short_n']} (gross {gross:g}, net {net:g})")
    if allocation.get("top_groups"):
        per = allocation.get("per_group")
        limit = f", {per} a sector" if per else ""
        scored = allocation.get("group_score") or "mean"
        out.append(f"top {allocation['top_groups']} sectors by {scored} score{limit}")
    if allocation.get("risk_lookback"):
        out.append(f"{allocation['risk_lookback']}-day risk lookback")
    if allocation.get("max_weight") is not None:
        out.append(f"max weight {allocation['max_weight']:g}")
    if allocation.get("max_sector_weight") is not None:
        out.append(f"max sector weight {allocation['max_sector_weight']:g}")
    volatility = allocation.get("target_volatility")
    if volatility is not None:
        leverage = allocation.get("max_leverage") or 1.0
        levered = f" (leverage ≤ {leverage:g})" if leverage > 1 else ""
        out.append(f"volatility target {_percent(volatility)}{levered}")
    if rebalance.get("min_trade"):
        out.append(f"min trade {rebalance['min_trade']:g}")
    for name in ("cash_rate", "borrow_rate"):
        if request.get(name):
            out.append(f"{name.replace('_', ' ')} {_percent(request[name])}")
    for name in FEE_FIELDS:  # left out of the request when they charge nothing
        if name in request:
            out.append(f"{name.replace('_', ' ')} {request[name]:g}")
    out.extend(liquidity(request))
    if request.get("membership"):
        out.append(f"members of {request['membership']}")
    if request.get("survivorship_audit"):
        out.append("survivorship audit")
    if request.get("price_adjustment"):
        out.append(f"{request['price_adjustment'].replace('_', '-')}-adjusted ranking")
    return [phrase for phrase in out if phrase]


def liquidity(request: dict[str, Any]) -> list[str]:
    """The liquidity fields a normalised request sets (left out at their defaults), as
    phrases: ``volume limit 2.5%``, ``max 0.5x ADV``, ``volume_share impact 0.1``,
    ``square_root impact k 1 over 20 bars``, ``spread 10 bps``, ``corwin_schultz spread
    over 20 bars``."""
    out = []
    if "volume_limit" in request:
        out.append(f"volume limit {_percent(request['volume_limit'])}")
    if "max_adv_participation" in request:
        out.append(f"max {request['max_adv_participation']:g}x ADV")
    model = request.get("slippage_model")
    if model == "volume_share":
        out.append(f"volume_share impact {request.get('price_impact', 0.1):g}")
    elif model == "square_root":
        window = request.get("impact_window", 20)
        out.append(f"square_root impact k {request.get('impact_k', 1.0):g} over {window} bars")
    if "spread_bps" in request:
        out.append(f"spread {request['spread_bps']:g} bps")
    if request.get("spread_model"):
        window = request.get("spread_window", 20)
        out.append(f"{request['spread_model']} spread over {window} bars")
    return out


def summary(request: dict[str, Any]) -> str:
    """A portfolio page's one line on its request: universe, window, allocation (the
    ranking's whole texts and values), construction and schedule."""
    allocation = request.get("allocation") or {}
    method = allocation.get("method")
    if method == "rank":
        what = f"top {allocation['top_n']} by {allocation['score']}"
        if allocation.get("filter"):
            what += f" where {allocation['filter']}"
        values = ", ".join(f"${k}={v}" for k, v in (request.get("params") or {}).items())
        what += f" ({values})" if values else ""
    elif method == "rules":
        what = f"each ticker by {rule_text(request.get('strategy') or {}, None)}"
    else:
        what = {"equal": "equal weight", "fixed": "fixed weights"}.get(method, "portfolio")
    window = f"{request.get('start_date')} … {request.get('end_date')}"
    shown = parameters(request)
    parts = [f"{shown['tickers']} tickers", window, what, *shown["construction"]]
    if method == "rules":
        return " · ".join([*parts, *_strategy_terms(request.get("strategy") or {})])
    return " · ".join([*parts, f"rebalance {_schedule(shown)}"])


def rule_text(strategy: dict[str, Any], limit: int | None = TEXT_SHOWN) -> str:
    """A portfolio of rules' rule in a few words: ``SMA_CROSS(fast=10, slow=40)``, or an
    EXPR's ``entry … / exit …`` (each shortened to ``limit``; None: whole)."""
    params = dict(strategy.get("params") or {})
    if strategy.get("rule_type") == "EXPR":
        entry, exit_ = params.get("entry"), params.get("exit")
        if limit is not None:
            entry, exit_ = shorten(entry, limit), shorten(exit_, limit)
        return f"entry {entry} / exit {exit_}"
    values = ", ".join(f"{k}={v}" for k, v in params.items() if not isinstance(v, list))
    return f"{strategy.get('rule_type')}({values})"


def _strategy_terms(strategy: dict[str, Any]) -> list[str]:
    """A portfolio of rules' entry size and stops, each a short phrase."""
    size = strategy.get("position_size")
    if strategy.get("size_type") == "percent":
        terms = [f"{size:.3g}% of cash an entry"]
    else:
        terms = [f"{size:g} an entry"]
    for name, label in (
        ("stop_loss_pct", "stop-loss"),
        ("take_profit_pct", "take-profit"),
        ("trailing_stop_pct", "trailing stop"),
    ):
        if strategy.get(name) is not None:
            terms.append(f"{label} {strategy[name]:g}%")
    return terms


def _allocation(shown: dict[str, Any], allocation: dict[str, Any]) -> str:
    risk = RISK_LABELS.get(shown["weighting"])
    if shown["method"] == "rank":
        weighting = " score-weighted" if shown["weighting"] == "score" else ""
        weighting = f" {risk}" if risk else weighting
        short = f" short {allocation['short_n']}" if allocation.get("short_n") else ""
        return f"rank top {shown['top_n']}{short}{weighting} by {shorten(shown['score'], 40)}"
    if shown["method"] == "equal" and risk:
        return risk
    if shown["method"] == "rules":
        return f"rules {rule_text(allocation.get('strategy') or {}, 40)}"
    return {"equal": "equal weight", "fixed": "fixed weights"}.get(shown["method"], "portfolio")


RISK_LABELS = {
    "inverse_volatility": "inverse volatility",
    "equal_risk_contribution": "risk parity",
    "min_variance": "minimum variance",
}
"""How a label names a risk weighting."""


def _schedule(shown: dict[str, Any]) -> str:
    schedule = shown["schedule"] or "monthly"
    text = f"every {shown['every_n_bars']} bars" if schedule == "bars" else schedule
    if shown["drift_threshold"] is not None:
        text += f" or {shown['drift_threshold']:g} drift"
    return text


def default_label(request: dict[str, Any]) -> str:
    """A readable name for a normalised request that has none: its allocation, schedule
    and universe size."""
    shown = parameters(request)
    allocation = request.get("allocation") or {}
    volatility = allocation.get("target_volatility")
    target = f" · {volatility:.0%} volatility" if volatility else ""
    if allocation.get("method") == "rules":
        what = f"rules {rule_text(request.get('strategy') or {}, 40)}"
        return f"{what} · {shown['tickers']} tickers"
    what = _allocation(shown, allocation) + target
    return f"{what} · {_schedule(shown)} · {shown['tickers']} tickers"


__all__ = [
    "TEXT_SHOWN",
    "construction",
    "default_label",
    "parameters",
    "rule_text",
    "shorten",
    "summary",
]
