"""The registry's data types: how a rule and its parameters are described, and the error
raised when a request does not fit that description."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

PARAM_TYPES = ("int", "float", "choice", "rules", "text", "bounds")
"""``int``/``float``: a JSON number in [min, max]; ``choice``: one of ``choices``;
``rules``: a list of {rule_type, params} sub-rules whose length is in [min, max];
``text``: an expression of the strategy language (EXPR's entry and exit); ``bounds``: an
object of [low, high] pairs (EXPR's declared ranges of its $parameters)."""

Signals = Callable[["Bars", dict], tuple[np.ndarray, np.ndarray]]
"""A rule's signal function: (bars, validated params) -> (entries, exits), bool arrays of
length T."""

Overlays = Callable[["Bars", dict], dict[str, np.ndarray]]
"""A rule's overlay function: (bars, validated params) -> {label: price-scale line}."""

PANEL_KINDS = ("line", "histogram")
"""How a panel series is drawn: a line, or bars from zero (a MACD histogram, volume)."""


@dataclass(frozen=True)
class Panel:
    """One oscillator panel drawn under the price chart, on a scale of its own.

    ``key`` names the indicator ("rsi", "macd", "adx", "atr", "roc", "zscore", "volume"):
    panels of one key and name are drawn once (a COMPOSITE of two RSI rules with equal
    periods), and a rule with a ``volume`` panel replaces the default one. ``name`` is the
    title with its periods ("RSI(14)"); ``unit`` the axis unit ("" for a 0–100 index,
    "%", "price", "shares"); ``series`` maps each label to a length-T array (NaN in the
    warm-up); ``levels`` are the rule's thresholds on that scale, drawn as dashed lines;
    ``histograms`` the labels drawn as bars; ``bounds`` a fixed (min, max) axis or None.
    """

    key: str
    name: str
    unit: str
    series: dict[str, np.ndarray]
    levels: tuple[float, ...] = ()
    histograms: tuple[str, ...] = ()
    bounds: tuple[float, float] | None = None

    def kind(self, label: str) -> str:
        """How the series ``label`` is drawn: one of ``PANEL_KINDS``."""
        return PANEL_KINDS[1] if label in self.histograms else PANEL_KINDS[0]


Panels = Callable[["Bars", dict], list[Panel]]
"""A rule's panel function: (bars, validated params) -> the oscillator panels to draw."""

Warmup = tuple[int, int]
"""(entry, exit): bars of history before the first bar on which the rule's entry (exit)
condition can hold (``rules.warmup``)."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a rule: its JSON type, default, inclusive bounds and help text."""

    name: str
    type: str
    default: Any
    min: float | None
    max: float | None
    description: str
    choices: tuple = ()

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"ParamSpec {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True, kw_only=True)
class RuleSpec:
    """One trading rule: its parameters, cross-field constraints ("fast < slow" or
    "a <= b", checked by the validator), the signal function, the optional chart
    overlays (price-scale lines; None when the rule has none worth drawing) and the
    optional oscillator panels (indicators on a scale of their own; None when none), and
    its warm-up (``rules.warmup``: (entry, exit) bars before each side can first hold).

    A rule whose parameters depend on the request (EXPR: one per ``$name`` of its texts)
    sets ``check`` (params, field prefix) -> normalised params, which replaces the
    generated model's validation; ``resolve`` (params) -> the RuleSpec of that request
    (its ParamSpecs and constraints, for grids and presets); and ``slug`` (normalised
    params) -> its id; ``reference`` () -> the JSON-ready reference of its language (the
    dashboard's editor help: ``language`` in ``GET /api/rules``, null for other rules);
    ``label`` (normalised params) -> how lists name the rule when its id says too little
    (EXPR: its texts, not their hash; ``rules.registry.rule_label``)."""

    rule_type: str
    description: str
    params: tuple[ParamSpec, ...]
    constraints: tuple[str, ...] = ()
    signals: Signals
    overlays: Overlays | None = None
    panels: Panels | None = None
    warmup: Callable[[dict], Warmup] | None = None
    check: Callable[[object, str], dict] | None = None
    resolve: Callable[[object], RuleSpec] | None = None
    slug: Callable[[dict], str] | None = None
    reference: Callable[[], dict] | None = None
    label: Callable[[dict], str] | None = None

    def param(self, name: str) -> ParamSpec:
        """The parameter called ``name`` (KeyError if there is none)."""
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """Every parameter at its default (a fresh copy)."""
        return {p.name: _copy(p.default) for p in self.params}


class RuleValidationError(ValueError):
    """A rule request is invalid. ``field`` is the JSON path of the culprit ("rule_type",
    "params", "params.period", "params.rules[1].params.period"); ``message`` is a short,
    user-safe sentence that starts with that path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _copy(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


__all__ = ["PANEL_KINDS", "PARAM_TYPES", "Panel", "ParamSpec", "RuleSpec", "RuleValidationError"]


CONSTRAINT_ERROR = "rule_constraint"
"""The pydantic error type of a broken cross-field constraint; ctx: left, op, right."""

LENGTH_ERROR = "rules_length"
"""The pydantic error type of a sub-rule list whose length is out of range."""


def canonical_rule_type(name: str) -> str:
    """Normalise a rule name: "sma-cross" or " Sma_Cross " -> "SMA_CROSS"."""
    return name.strip().upper().replace("-", "_").replace(" ", "_")


def same_warmup(name: str, offset: int = 0) -> Callable[[dict], Warmup]:
    """A ``RuleSpec.warmup`` whose entry and exit both wait ``params[name] + offset`` bars.

    >>> same_warmup("slow")({"fast": 10, "slow": 20})
    (20, 20)
    >>> same_warmup("period", -1)({"period": 20})
    (19, 19)
    """

    def warmup(params: dict) -> Warmup:
        bars = params[name] + offset
        return bars, bars

    return warmup
