"""How many bars each rule needs before it can fire: its warm-up, from its indicators.

A rule's indicators are NaN during their warm-up (``rules.indicators``) and a comparison
with NaN is False, so a rule cannot signal before every value its condition reads is
defined. ``warmup(rule_type, params)`` gives, per side, the index of the first bar on which
the entry (exit) condition can be true — equivalently the number of bars before it:

* an indicator's first defined bar is its documented warm-up (SMA(n): n − 1; RSI(n),
  ROC(n), ATR(n): n; MACD signal line: slow + signal − 2; ADX(n): 2n − 1; ±DI(n): n);
* a cross (``cross_above``/``cross_below``) or a "previous bar" read needs bar t − 1
  defined too: one bar more;
* an AND of conditions waits for the latest of them, an OR for the earliest.

The warm-up counts bars of the history the rule sees (the data file up to the window's
end), not of the window: signals warm up on the bars before ``start_date``.
``tests/rules/test_rules_warmup.py`` checks every formula against the rule's own signal
function (no signal before the warm-up; a signal on its first bar is possible).
"""

from __future__ import annotations

from collections.abc import Callable

Warmup = tuple[int, int]
"""(entry, exit): bars before the first bar on which the entry (exit) condition can hold."""


def _same(bars: int) -> Warmup:
    return bars, bars


def _macd_cross(p: dict) -> int:
    """First bar a MACD line / signal line cross can happen: the signal line is defined
    from bar slow + signal − 2 and a cross reads the bar before."""
    return p["slow"] + p["signal"] - 1


def _rsi_macd(p: dict) -> Warmup:
    cross, rsi = _macd_cross(p), p["rsi_period"]
    return max(cross, rsi), min(cross, rsi)  # entry: cross AND RSI; exit: cross OR RSI


def _volume(p: dict) -> Warmup:
    # entry: SMA(volume) (first at period − 1) AND close > previous close (bar 1)
    return max(p["volume_period"] - 1, 1), p["exit_period"] - 1


def _composite(p: dict) -> Warmup:
    parts = [warmup(sub["rule_type"], sub["params"]) for sub in p["rules"]]
    pick = max if p["operator"] == "AND" else min
    return pick(e for e, _ in parts), pick(x for _, x in parts)


_WARMUPS: dict[str, Callable[[dict], Warmup]] = {
    "RSI": lambda p: _same(p["period"]),
    "MACD": lambda p: _same(_macd_cross(p)),
    "SMA_CROSS": lambda p: _same(p["slow"]),
    "RSI_MACD": _rsi_macd,
    "BOLLINGER": lambda p: _same(p["period"]),  # bands at period − 1, crossed: + 1
    "MOMENTUM": lambda p: _same(p["period"]),
    "MEAN_REVERSION": lambda p: _same(p["period"] - 1),
    "BREAKOUT": lambda p: (p["entry_period"], p["exit_period"]),  # channel of bars before t
    "VOLUME": _volume,
    "TREND": lambda p: (2 * p["period"] - 1, p["period"]),  # ADX and ±DI; ±DI only
    "ATR": lambda p: _same(p["period"] + 1),  # ATR of the previous bar
    "COMPOSITE": _composite,
}


def warmup(rule_type: str, params: dict) -> Warmup:
    """(entry, exit) warm-up in bars of a validated rule request (``validate_rule``).

    >>> warmup("SMA_CROSS", {"fast": 10, "slow": 20})
    (20, 20)
    >>> warmup("TREND", {"period": 14, "adx_threshold": 25.0})
    (27, 14)

    :raise KeyError: for a rule without a warm-up formula (a test keeps them in step).
    """
    return _WARMUPS[rule_type](params)


def has_warmup(rule_type: str) -> bool:
    """Whether ``rule_type`` has a warm-up formula here."""
    return rule_type in _WARMUPS


__all__ = ["Warmup", "has_warmup", "warmup"]
