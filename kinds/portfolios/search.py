"""What a portfolio contributes to searches (``work.search``): its parameter space, the request
of one point, its evaluator (point by point: the portfolio's own computation,
``kinds.portfolios.kind.result_of``, so a point's result is byte for byte the result of the
same request submitted alone; with its equity curve as a run's and its benchmark, what a
walk-forward fold stores), the universe it reads and its label.

Searchable names of a base portfolio request (docs/portfolios.md, "Searching a portfolio"):
a ranking's ``$names`` (``lookback`` for ``roc(close, $lookback)``; a window or lag is a
whole number, anything else a number, within the strategy language's bounds), ``top_n``
(a ranking), ``weighting`` (a ranking: any; ``equal``: equal or a risk weighting),
``risk_lookback`` (a risk weighting or a volatility target), ``max_weight``,
``max_sector_weight``, ``target_volatility``, ``max_leverage`` (a volatility target),
``short_n``, ``gross_exposure``, ``net_exposure`` (a ranking's long-short book),
``top_groups``, ``per_group``, ``group_score`` (a ranking's group ranking), ``schedule``,
``every_n_bars`` (schedule ``bars``), ``drift_threshold``, ``min_trade``, ``cash_rate`` and
``borrow_rate`` (a long-short book), and the liquidity fields (``volume_limit``,
``max_adv_participation``, ``slippage_model``, ``price_impact``, ``impact_k``,
``impact_window``, ``spread_bps``, ``spread_window``). A portfolio of rules
(``allocation.method`` ``rules``): its rule's numeric parameters (``fast``, ``period``...;
not an EXPR's), ``position_size`` and its stops (``stop_loss_pct``, ``take_profit_pct``,
``trailing_stop_pct``), all in its ``strategy``.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.param_specs import (
    ADV_PARTICIPATION,
    LIQUIDITY_SPECS,
    LIQUIDITY_WINDOWS,
    PERCENT_MAX,
    SLIPPAGE_MODELS,
)
from engine.portfolio import RISK_METHODS, SCHEDULES, WEIGHTINGS
from engine.portfolio.risk import MIN_RETURNS
from kinds.portfolios.groups import GROUP_SCORES
from kinds.portfolios.request_model import (
    CAPACITY_FIELDS,
    LIQUIDITY_DEFAULTS,
    MAX_BORROW_RATE,
    MAX_CASH_RATE,
    MAX_LEVERAGE,
    MAX_MIN_TRADE,
    MAX_RISK_LOOKBACK,
    MAX_TARGET_VOLATILITY,
    MAX_TICKERS,
    parse_portfolio,
)
from kinds.portfolios.strategy import RULES_METHOD
from metrics import SWEEP_METRIC_KEYS
from rules.library.expr import DEFAULT_BOUNDS
from rules.ranking import compile_ranking
from work.errors import RequestError
from work.search import Domain, Outcome, Search

if TYPE_CHECKING:  # pragma: no cover
    from kinds.portfolios.universe import Universe

REBALANCE_NAMES = ("schedule", "every_n_bars", "drift_threshold", "min_trade")
"""Searchable names that live in the request's ``rebalance``."""
LIQUIDITY_NAMES = (
    "volume_limit",
    "max_adv_participation",
    "slippage_model",
    "price_impact",
    "impact_k",
    "impact_window",
    "spread_bps",
    "spread_window",
)
"""The searchable liquidity fields (top level): a study offers them only when its base
sets them (at their defaults they change nothing)."""
REQUEST_NAMES = ("cash_rate", "borrow_rate", *LIQUIDITY_NAMES)
"""Searchable names at the request's top level."""
ALLOCATION_NAMES = (
    "top_n",
    "weighting",
    "risk_lookback",
    "max_weight",
    "max_sector_weight",
    "target_volatility",
    "max_leverage",
    "short_n",
    "gross_exposure",
    "net_exposure",
    "top_groups",
    "per_group",
    "group_score",
)
"""Searchable names that live in the request's ``allocation``."""
UNSET_HIDDEN = (
    "risk_lookback",
    "short_n",
    "gross_exposure",
    "net_exposure",
    "top_groups",
    "per_group",
)
"""Names a study is not offered while its base leaves them unset (they would change nothing)."""
STRATEGY_NAMES = ("position_size", "stop_loss_pct", "take_profit_pct", "trailing_stop_pct")
"""A portfolio of rules' searchable names that live in its ``strategy`` (its rule's numeric
parameters live in ``strategy.params``)."""
WHOLE_USES = ("window", "lag")
"""Uses of a ``$name`` whose values are whole numbers (``rules.library.expr``)."""


def _around(domain: Domain) -> tuple[float, float, float] | None:
    """A first range around a name's value in its base: half to twice it (held to its
    domain) and a step of about a fifth of that; None for a name with no positive value."""
    default = domain.default
    if isinstance(default, bool) or not isinstance(default, int | float) or default <= 0:
        return None
    if domain.type == "int":
        low = max(int(domain.low or 1), int(default) // 2)
        return low, int(default) * 2, max(1, (int(default) * 2 - low) // 5)
    high = default * 2 if domain.high is None else min(domain.high, default * 2)
    low = default / 2 if domain.low is None else max(domain.low, default / 2)
    return low, high, (high - low) / 5


def _top_n_values(base: dict[str, Any]) -> list[int]:
    """``top_n`` first offered to a search: 1 to the universe's size, at most 5."""
    return list(range(1, min(len(base["tickers"]), 5) + 1))


def suggested_grid(base: dict[str, Any]) -> dict[str, Any]:
    """A first grid to sweep a portfolio over (the dashboard's "Sweep this portfolio", and
    the grid of "Walk this portfolio forward"): each whole-number ``$name`` from half to
    twice its value, ``top_n`` from 1 to the universe (at most 5); what the user edits
    before submitting."""
    grid: dict[str, Any] = {}
    for name, domain in SEARCH.space(base).items():
        if name in ALLOCATION_NAMES or name in REBALANCE_NAMES or name in REQUEST_NAMES:
            continue
        around = _around(domain) if domain.type == "int" else None
        if around is not None:
            grid[name] = "{}:{}:{}".format(*around)
    if base["allocation"]["method"] == "rank":
        grid["top_n"] = _top_n_values(base)
    return grid


DRIFT_RANGE = (0.01, 0.2)
"""The drift thresholds a study is first offered when its base has none."""


def suggested_space(base: dict[str, Any]) -> list[dict[str, Any]]:
    """A first study space over a portfolio (the dashboard's "Study this portfolio"): every
    numeric name the portfolio declares searchable that a trial may change, in the space's
    order: its ``name``, its type,
    its value in the base (``default``) and bounds (``min``, ``max``), the ``low``/``high``
    first offered and whether it is ``searched``
    at first — each ``$name`` from half to twice its value and ``top_n`` from 1 to the
    universe (at most 5) are; ``every_n_bars`` (schedule ``bars`` only) and
    ``drift_threshold`` are offered, not searched."""
    out: list[dict[str, Any]] = []
    for name, domain in SEARCH.space(base).items():
        if (
            domain.type == "choice"
            or (name == "every_n_bars" and base["rebalance"]["schedule"] != "bars")
            or (name in UNSET_HIDDEN and domain.default is None)
            or (name == "max_leverage" and base["allocation"].get("target_volatility") is None)
            or (name == "borrow_rate" and base["allocation"].get("short_n") is None)
            or (name in STRATEGY_NAMES and domain.default is None)
            or (name in LIQUIDITY_NAMES and name not in base)
        ):
            continue
        around = _around(domain)
        if name == "top_n":
            values = _top_n_values(base)
            low, high, searched = values[0], values[-1], True
        elif name == "drift_threshold" and around is None:
            (low, high), searched = DRIFT_RANGE, False
        elif around is not None:
            low, high, searched = around[0], around[1], name not in REBALANCE_NAMES
        else:
            low, high, searched = domain.low, domain.high, False
        entry = {
            "name": name,
            "type": domain.type,
            "default": domain.default,
            "min": domain.low,
            "max": domain.high,
            "low": low,
            "high": high,
            "searched": searched,
        }
        out.append(entry)
    return out


def _held(request: dict[str, Any], name: str) -> Any:
    """The value a normalised request holds for a searchable name."""
    strategy = request.get("strategy")
    if strategy is not None and name not in (*REBALANCE_NAMES, *REQUEST_NAMES, *ALLOCATION_NAMES):
        return strategy[name] if name in STRATEGY_NAMES else strategy["params"].get(name)
    if name in REBALANCE_NAMES:
        return request["rebalance"][name]
    if name == "weighting":
        return _weighting(request)
    if name in LIQUIDITY_NAMES:
        return request.get(name, LIQUIDITY_DEFAULTS[name])  # left out at its default
    if name in REQUEST_NAMES:
        return request.get(name, 0.0)  # a borrow_rate of 0 is left out
    if name in ALLOCATION_NAMES:
        return request["allocation"].get(name)
    return request["params"].get(name)


def _weighting(request: dict[str, Any]) -> str:
    """A request's weighting: an ``equal`` allocation without one is weighted equally."""
    return request["allocation"]["weighting"] or "equal"


def metrics_of(result: dict[str, Any]) -> dict[str, float | int | None]:
    """The registry metrics (``SWEEP_METRIC_KEYS``) of a portfolio result (``num_trades``
    counts its orders)."""
    return {key: result["metrics"].get(key) for key in SWEEP_METRIC_KEYS}


def _curve(result: dict[str, Any]) -> dict[str, list]:
    """A portfolio result's equity curve as a run's (ISO UTC timestamps, equity)."""
    import numpy as np

    from adapters import iso_utc

    stamps = np.array(result["timestamps"], dtype="datetime64[s]")
    return {"timestamps": list(iso_utc(stamps)), "equity": result["equity"]}


def _returns(equity: list[float | None]) -> list[float]:
    """Bar-to-bar simple returns of a stored equity curve (0 where it is not positive)."""
    return [
        (after / before - 1.0) if before and after is not None and before > 0 else 0.0
        for before, after in itertools.pairwise(equity)
    ]


class PortfolioSearch(Search):
    """The portfolio kind's search: a portfolio request's searchable names, evaluated point
    by point by the portfolio's own computation, over the universe it reads (module
    docstring)."""

    kind = "portfolio"

    def space(self, base: dict[str, Any]) -> dict[str, Domain]:
        """The searchable names of a normalised portfolio request and their domains."""
        allocation, rebalance = base["allocation"], base["rebalance"]
        if allocation["method"] == RULES_METHOD:
            return _rules_space(base["strategy"])
        out: dict[str, Domain] = {}
        if allocation["method"] == "rank":
            ranking = compile_ranking(allocation["score"], allocation["filter"])
            for name, use in ranking.params.items():
                low, high = DEFAULT_BOUNDS[use]
                kind = "int" if use in WHOLE_USES else "float"
                out[name] = Domain(kind, low, high, default=base["params"].get(name))
            out["top_n"] = Domain("int", 1, MAX_TICKERS, default=allocation["top_n"])
            out["weighting"] = Domain("choice", choices=WEIGHTINGS, default=allocation["weighting"])
            out["short_n"] = Domain("int", 1, MAX_TICKERS, default=allocation.get("short_n"))
            gross, net = allocation.get("gross_exposure"), allocation.get("net_exposure")
            out["gross_exposure"] = Domain("float", 0, MAX_LEVERAGE, default=gross)
            out["net_exposure"] = Domain("float", -MAX_LEVERAGE, MAX_LEVERAGE, default=net)
            for name in ("top_groups", "per_group"):
                out[name] = Domain("int", 1, MAX_TICKERS, default=allocation.get(name))
            scored = allocation.get("group_score")
            out["group_score"] = Domain("choice", choices=GROUP_SCORES, default=scored)
            borrow = base.get("borrow_rate", 0.0)
            out["borrow_rate"] = Domain("float", 0, MAX_BORROW_RATE, default=borrow)
        elif allocation["method"] == "equal":
            choices = ("equal", *RISK_METHODS)
            out["weighting"] = Domain("choice", choices=choices, default=_weighting(base))
        lookback = allocation.get("risk_lookback")
        out["risk_lookback"] = Domain("int", MIN_RETURNS, MAX_RISK_LOOKBACK, default=lookback)
        for name in ("max_weight", "max_sector_weight"):
            out[name] = Domain("float", 0, 1, default=allocation.get(name))
        volatility = allocation.get("target_volatility")
        out["target_volatility"] = Domain("float", 0, MAX_TARGET_VOLATILITY, default=volatility)
        leverage = allocation.get("max_leverage", 1.0)
        out["max_leverage"] = Domain("float", 1, MAX_LEVERAGE, default=leverage)
        out["schedule"] = Domain("choice", choices=SCHEDULES, default=rebalance["schedule"])
        out["every_n_bars"] = Domain("int", 1, 10_000, default=rebalance["every_n_bars"])
        out["drift_threshold"] = Domain("float", 0, 1, default=rebalance["drift_threshold"])
        out["min_trade"] = Domain(
            "float", 0, MAX_MIN_TRADE, default=rebalance.get("min_trade", 0.0)
        )
        out["cash_rate"] = Domain("float", 0, MAX_CASH_RATE, default=base.get("cash_rate", 0.0))
        out.update(_liquidity_space(base))
        return out

    def apply(self, base: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
        """``base`` with ``point``'s values, normalised like a submitted portfolio, without
        a capacity curve (a sweep, study or walk-forward computes none: docs/capacity.md).

        :raise RequestError: a value the portfolio request refuses, or one its normalisation
            drops (it would change nothing), named ``grid.<name>``.
        """
        request = copy.deepcopy(base)
        for name, value in point.items():
            if name in ("schedule", "every_n_bars") and request.get("strategy") is not None:
                raise RequestError(f"grid.{name}", "changes nothing for a portfolio of rules")
            if name in REBALANCE_NAMES:
                request["rebalance"][name] = value
            elif name in REQUEST_NAMES:
                request[name] = value
            elif name in ALLOCATION_NAMES:
                request["allocation"][name] = value
            elif request.get("strategy") is not None:
                strategy = request["strategy"]
                (strategy if name in STRATEGY_NAMES else strategy["params"])[name] = value
            else:
                request["params"][name] = value
        try:
            parsed = parse_portfolio(request)
        except RequestError as exc:
            named = next((n for n in point if exc.field.endswith(n)), None)
            field = f"grid.{named}" if named else exc.field
            raise RequestError(field, f"{exc.field} {exc.message}"[:300]) from None
        for name, value in point.items():
            if _held(parsed, name) != value:
                raise RequestError(
                    f"grid.{name}",
                    "changes nothing for this base (e.g. every_n_bars needs schedule 'bars')",
                )
        for name in CAPACITY_FIELDS:  # a point is scored by its metrics: no curve
            parsed.pop(name, None)
        return parsed

    def evaluate_one(self, request: dict[str, Any]) -> Outcome:
        """One point: the portfolio computed exactly as a submitted one (``result_of``)."""
        from kinds.portfolios.kind import computed

        result, text, per_year = computed(request)
        returns = _returns(result["equity"])
        return Outcome(
            request,
            result,
            text,
            metrics_of(result),
            returns,
            per_year,
            curve=lambda: _curve(result),
            benchmark=result["benchmark"]["equity"],
            data_hash=result["data_hash"],
            engine_version=result["engine_version"],
        )

    def data(self, base: dict[str, Any], data_dir: Path | None) -> Universe:
        """The universe a portfolio request reads, held to the memory cap a portfolio Job has
        (PORTFOLIO_MAX_MEMORY_MB) before anything is loaded.

        :raise RequestError: naming the field when the data cannot serve it.
        """
        from kinds.portfolios.settings import PORTFOLIO_MAX_MEMORY_MB
        from kinds.portfolios.universe import check_universe, load_universe

        check_universe(base, data_dir, PORTFOLIO_MAX_MEMORY_MB.value())
        return load_universe(base, data_dir)

    def label(self, base: dict[str, Any]) -> str:
        """A portfolio in a few words: its ranking's score, its rule, or its allocation
        method."""
        if base["allocation"]["method"] == RULES_METHOD:
            return f"rules {base['strategy']['rule_type']}"
        return str(base["allocation"].get("score") or base["allocation"]["method"])


def _liquidity_space(base: dict[str, Any]) -> dict[str, Domain]:
    """The liquidity fields' domains (their bounds, ``engine.param_specs``), each with its value in
    ``base`` (its default when left out)."""
    held = {name: base.get(name, LIQUIDITY_DEFAULTS[name]) for name in LIQUIDITY_NAMES}
    numbers = {spec.name: spec for spec in (ADV_PARTICIPATION, *LIQUIDITY_SPECS)}
    out = {}
    for name in LIQUIDITY_NAMES:
        if name == "slippage_model":
            out[name] = Domain("choice", choices=SLIPPAGE_MODELS, default=held[name])
        else:
            spec = numbers[name]
            out[name] = Domain.of_spec(spec, held[name], spec in LIQUIDITY_WINDOWS)
    return out


def _rules_space(strategy: dict[str, Any]) -> dict[str, Domain]:
    """A portfolio of rules' searchable names (module docstring) and their domains: the
    rule's own bounds (``rules.RULES``) and the run request's."""
    from rules import RULES

    out: dict[str, Domain] = {}
    if strategy["rule_type"] not in ("EXPR", "COMPOSITE"):
        for spec in RULES[strategy["rule_type"]].params:
            if spec.type in ("int", "float"):
                default = strategy["params"].get(spec.name)
                out[spec.name] = Domain(spec.type, spec.min, spec.max, default=default)
    percent = strategy["size_type"] == "percent"
    size = strategy["position_size"]
    out["position_size"] = Domain("float", 0, PERCENT_MAX if percent else None, default=size)
    for name, high in (
        ("stop_loss_pct", 100),
        ("take_profit_pct", None),
        ("trailing_stop_pct", 100),
    ):
        out[name] = Domain("float", 0, high, default=strategy.get(name))
    return out


SEARCH = PortfolioSearch()
"""The portfolio kind's search (``PORTFOLIO.search``)."""

space, apply, evaluate_one = SEARCH.space, SEARCH.apply, SEARCH.evaluate_one
"""The hooks by their module names, as the portfolio pages and tests import them."""
