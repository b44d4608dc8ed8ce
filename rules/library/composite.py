"""COMPOSITE: two to five rules combined bar by bar with AND or OR.

Built by the registry with a view of the other rules (``build``), so this module needs no
import of the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from rules.spec import Panel, ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

Batch = Callable[["Bars", list[dict], dict], tuple[np.ndarray, np.ndarray]]
"""A rule's batch function: (bars, validated params list, cache) -> (N, T) entries, exits."""

OPERATORS = ("AND", "OR")
"""AND: a signal needs every sub-rule's signal on the same bar; OR: any sub-rule's."""

MIN_RULES, MAX_RULES = 2, 5
"""How many sub-rules a COMPOSITE holds (nesting a COMPOSITE is not allowed)."""

DEFAULT_RULES = ("MACD", "MOMENTUM")
"""The default sub-rules, each with its own defaults, combined with AND: MACD's cross up
while the 10-bar rate of change is positive enters, its cross down while it is negative
exits — a trigger confirmed by momentum, which trades 29 to 50 times in ten years of each
demo ticker (2015–2024). The earlier RSI(14, 30, 70) AND MACD needed RSI below 30 on the
very bar of a MACD cross (and above 70 on the cross down to exit): 0 to 2 trades in ten
years."""


def _combine(operator: str, parts: list[np.ndarray]) -> np.ndarray:
    reduce = np.logical_and.reduce if operator == "AND" else np.logical_or.reduce
    return reduce(parts, axis=0)


def build(rules: Mapping[str, RuleSpec], batches: Mapping[str, Batch]) -> tuple[RuleSpec, Batch]:
    """The COMPOSITE spec and batch function, looking sub-rules up in ``rules``/``batches``
    when called (the mappings may be filled after this returns)."""

    def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
        """AND: entry on bars where every sub-rule has an entry, exit on bars where every
        sub-rule has an exit. OR: entry where any sub-rule has an entry, exit where any has
        an exit. Sub-rules are computed independently with their own parameters."""
        parts = [rules[sub["rule_type"]].signals(bars, sub["params"]) for sub in params["rules"]]
        operator = params["operator"]
        return _combine(operator, [p[0] for p in parts]), _combine(operator, [p[1] for p in parts])

    def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
        """The overlays of every sub-rule that has some (the first of equal labels wins)."""
        out: dict[str, np.ndarray] = {}
        for sub in params["rules"]:
            draw = rules[sub["rule_type"]].overlays
            for label, line in (draw(bars, sub["params"]) if draw else {}).items():
                out.setdefault(label, line)
        return out

    def panels(bars: Bars, params: dict) -> list[Panel]:
        """The panels of every sub-rule, in sub-rule order (a panel of the same key and
        name as an earlier one is drawn once: the first wins)."""
        out: dict[tuple[str, str], Panel] = {}
        for sub in params["rules"]:
            draw = rules[sub["rule_type"]].panels
            for panel in draw(bars, sub["params"]) if draw else []:
                out.setdefault((panel.key, panel.name), panel)
        return list(out.values())

    def warmup(params: dict) -> Warmup:
        """AND waits for the latest sub-rule, OR for the earliest, per side."""
        parts = [rules[sub["rule_type"]].warmup(sub["params"]) for sub in params["rules"]]
        pick = max if params["operator"] == "AND" else min
        return pick(e for e, _ in parts), pick(x for _, x in parts)

    def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
        """``signals`` for N parameter sets: the sub-rules in slot j that share a rule type
        go through that rule's batch function together (and share the cache)."""
        n_bars = len(bars)
        is_and = np.array([p["operator"] == "AND" for p in params_list])[:, None]
        entries = np.repeat(is_and, n_bars, axis=1)
        exits = entries.copy()
        for slot in range(MAX_RULES):
            groups: dict[str, list[int]] = {}
            for row, params in enumerate(params_list):
                if slot < len(params["rules"]):
                    groups.setdefault(params["rules"][slot]["rule_type"], []).append(row)
            for rule_type, members in groups.items():
                subs = [params_list[row]["rules"][slot]["params"] for row in members]
                sub_entries, sub_exits = batches[rule_type](bars, subs, cache)
                and_rows = is_and[members]
                entries[members] = np.where(
                    and_rows, entries[members] & sub_entries, entries[members] | sub_entries
                )
                exits[members] = np.where(
                    and_rows, exits[members] & sub_exits, exits[members] | sub_exits
                )
        return entries, exits

    default_rules = tuple(
        {"rule_type": name, "params": rules[name].defaults()} for name in DEFAULT_RULES
    )
    spec = RuleSpec(
        rule_type="COMPOSITE",
        description="Combine 2 to 5 rules: AND needs all of them on the same bar, OR any of them.",
        params=(
            ParamSpec(
                "operator", "choice", "AND", None, None, "How sub-rule signals combine.", OPERATORS
            ),
            ParamSpec(
                "rules",
                "rules",
                default_rules,
                MIN_RULES,
                MAX_RULES,
                "The sub-rules: a list of {rule_type, params}; COMPOSITE cannot be nested.",
            ),
        ),
        signals=signals,
        overlays=overlays,
        panels=panels,
        warmup=warmup,
    )
    return spec, batch
