"""What a portfolio's list row says of its request (pure): the parameters a reader compares
portfolios by (universe size, allocation, schedule, drift threshold, the ranking's texts
shortened and its ``$name`` values) and a readable label for a portfolio without a name
(``rank top 5 by roc(close, $n) · monthly · 30 tickers``, ``risk parity · 10% volatility ·
monthly · 12 tickers``)."""

from __future__ import annotations

from typing import Any

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
    }


def _allocation(shown: dict[str, Any], allocation: dict[str, Any]) -> str:
    risk = RISK_LABELS.get(shown["weighting"])
    if shown["method"] == "rank":
        weighting = " score-weighted" if shown["weighting"] == "score" else ""
        weighting = f" {risk}" if risk else weighting
        short = f" short {allocation['short_n']}" if allocation.get("short_n") else ""
        return f"rank top {shown['top_n']}{short}{weighting} by {shorten(shown['score'], 40)}"
    if shown["method"] == "equal" and risk:
        return risk
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
    what = _allocation(shown, allocation) + target
    return f"{what} · {_schedule(shown)} · {shown['tickers']} tickers"


__all__ = ["TEXT_SHOWN", "default_label", "parameters", "shorten"]
