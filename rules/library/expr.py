"""EXPR: a rule written in the strategy language (``rules.expr``): ``entry`` and ``exit``
condition texts, one number per ``$name`` they use, and ``bounds`` declaring each
parameter's range.

Its parameters depend on its texts, so the registry asks this module for them: ``check``
validates a request (the registry's ``validate_rule`` for EXPR), ``resolve`` gives the
RuleSpec of one pair of texts (a ParamSpec per ``$name``, with its bounds, and the
constraints a MACD of two parameters needs) for sweeps, grids and presets.
"""

from __future__ import annotations

import hashlib
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from rules._validate import _kind
from rules._validate import format_number as _fmt
from rules.expr.grammar import MAX_NUMBER, MAX_WINDOW
from rules.spec import ParamSpec, RuleSpec, RuleValidationError, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars
    from rules.expr import Program

DEFAULT_ENTRY = "crossover(sma(close, 10), sma(close, 20))"
DEFAULT_EXIT = "crossunder(sma(close, 10), sma(close, 20))"

OWN = ("entry", "exit", "bounds")
"""EXPR's own params; every other key is the value of a ``$name``."""

DEFAULT_BOUNDS = {
    "window": (1, MAX_WINDOW),
    "lag": (0, MAX_WINDOW),
    "bars": (-int(MAX_NUMBER), int(MAX_NUMBER)),
    "number": (-MAX_NUMBER, MAX_NUMBER),
}
"""The range of an undeclared parameter, by its use (``rules.expr.check.USES``)."""

_USE_TEXT = {
    "window": "a whole number of bars",
    "lag": "a whole number of bars",
    "bars": "a number of bars",
    "number": "a number",
}


def compiled(entry: str, exit_text: str) -> Program:
    """The compiled program of an entry and an exit text (``rules.expr.compile_program``,
    cached by text). The language's parser and checker load on first use, so a process that
    runs only built-in rules never imports them (a Job's start-up is part of every run)."""
    from rules.expr import compile_program

    return compile_program(entry, exit_text)


def program_of(params: dict) -> Program:
    """The compiled program of validated params (cached by text)."""
    return compiled(params["entry"], params["exit"])


def _fail(field: str, text: str) -> RuleValidationError:
    return RuleValidationError(field, f"{field} {text}")


def _texts(params: dict, at: str) -> tuple[str, str, Program]:
    texts = []
    for side in ("entry", "exit"):
        text = params.get(side)
        if side not in params:
            raise _fail(f"{at}{side}", f"is required (a condition such as {DEFAULT_ENTRY})")
        texts.append(text)
    from rules.expr import ExprError

    try:
        program = compiled(*texts) if all(isinstance(t, str) for t in texts) else None
    except ExprError as exc:
        field = f"{at}{exc.side}"
        raise RuleValidationError(field, f"{field} at {exc.where}: {exc.message}") from None
    if program is None:
        side = "entry" if not isinstance(texts[0], str) else "exit"
        raise _fail(f"{at}{side}", f"must be a string (an expression), not {_kind(params[side])}")
    return texts[0], texts[1], program


def _whole(use: str) -> bool:
    return use in ("window", "lag")


def _integral(value: object) -> bool:
    """Whether a number is a whole one (5, 5.0)."""
    return isinstance(value, numbers.Integral) or float(value) == int(value)


def _searched_as_int(use: str, bounds: list) -> bool:
    """Whether a ``$name`` is an int parameter of the resolved spec (a sweep's grid and a
    study's space take integers for it): a window or a lag, or a count of bars (compared
    with ``bars_held``) whose bounds are whole numbers. A count of bars still takes any
    number in a run (``param_value``), as it did when it was a plain number."""
    return _whole(use) or (use == "bars" and all(_integral(b) for b in bounds))


def _bounds(program: Program, raw: object, at: str) -> dict[str, list]:
    """Every parameter's [low, high]: declared in ``raw`` (checked against its use) or the
    default of its use."""
    field = f"{at}bounds"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _fail(field, f'must be an object such as {{"n": [2, 50]}}, not {_kind(raw)}')
    for name in raw:
        if name not in program.params:
            used = ", ".join(f"${p}" for p in program.params) or "none"
            raise _fail(
                f"{field}.{str(name)[:40]}", f"names no $parameter of entry or exit (used: {used})"
            )
    out: dict[str, list] = {}
    for name, use in program.params.items():
        low, high = DEFAULT_BOUNDS[use]
        if name in raw:
            low, high = _declared(raw[name], use, f"{field}.{name}", low, high)
        if _whole(use) or (use == "bars" and _integral(low) and _integral(high)):
            out[name] = [int(low), int(high)]
        else:
            out[name] = [float(low), float(high)]
    return out


def _declared(value: object, use: str, field: str, least: float, most: float) -> tuple:
    what = "whole numbers" if _whole(use) else "numbers"
    shape = f"must be [low, high], two {what} from {_fmt(least)} to {_fmt(most)}"
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(field, shape)
    for item in value:
        if (
            isinstance(item, bool)
            or not isinstance(item, numbers.Real)
            or not np.isfinite(float(item))
        ):
            raise _fail(field, shape)
        if _whole(use) and float(item) != int(item):
            raise _fail(field, shape + f" (${field.rsplit('.', 1)[1]} is a window or lag)")
        if not least <= item <= most:
            raise _fail(field, shape)
    low, high = value
    if low > high:
        raise _fail(field, f"low ({_fmt(low)}) must be at most high ({_fmt(high)})")
    return low, high


def param_value(name: str, use: str, value: object, bounds: list, field: str) -> Any:
    """One `$name` value checked against its use and bounds: a whole number for a window or
    lag, a finite float for a number; a `RuleValidationError` naming ``field`` otherwise."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(field, f"must be {_USE_TEXT[use]}, not {_kind(value)}")
    if _whole(use):
        if not isinstance(value, numbers.Integral):
            raise _fail(field, f"must be an integer, not {float(value)!r:.40}")
        value = int(value)
    elif use == "bars" and isinstance(value, numbers.Integral):
        value = int(value)  # a count of bars given whole stays an int (a fraction: a float)
    else:
        if not np.isfinite(float(value)):
            raise _fail(field, "must be a finite number")
        if not -MAX_NUMBER <= value <= MAX_NUMBER:
            raise _fail(
                field, f"must be between {_fmt(low)} and {_fmt(high)} (got a very large number)"
            )
        value = float(value)
    if not low <= value <= high:
        raise _fail(field, f"must be between {_fmt(low)} and {_fmt(high)} (got {_fmt(value)})")
    return value


def named_values(
    uses: dict[str, str], constraints: tuple[str, ...], values: dict, at: str
) -> dict[str, Any]:
    """The value of every ``$name`` in ``uses`` (its use, ``rules.expr.check.USES``) from
    ``values``, checked in the language's default bounds (``param_value``), with the MACD
    "fast < slow" ``constraints``: what texts outside the EXPR rule (a portfolio's ranking,
    an entry order's prices) take for their parameters. ``at`` is the path before a name
    ("params.").

    :raise RuleValidationError: naming ``<at><name>`` for a missing or invalid value.
    """
    out: dict[str, Any] = {}
    for name, use in uses.items():
        field = f"{at}{name}"
        if values.get(name) is None:
            raise _fail(field, f"is required (the value of ${name})")
        out[name] = param_value(name, use, values[name], list(DEFAULT_BOUNDS[use]), field)
    for text in constraints:
        fast, _, slow = text.split(" ")
        if not out[fast] < out[slow]:
            field = f"{at}{fast}"
            raise _fail(field, f"must be less than {slow}: macd needs fast < slow")
    return out


def given_values(
    uses: dict[str, str], constraints: tuple[str, ...], values: object, at: str, used_in: str
) -> dict[str, Any]:
    """``named_values`` of the object a request gives at ``at`` (``size_expr.params``; None:
    empty), which may name only ``$parameters`` its texts use (``used_in``: "expr", "limit
    or stop", "score or filter").

    :raise RuleValidationError: naming ``at`` (not an object) or ``<at>.<name>`` (a name no
        text uses; a missing or invalid value).
    """
    values = {} if values is None else values
    if not isinstance(values, dict):
        raise _fail(at, "must be an object of $name values")
    for name in values:
        if name not in uses:
            listed = ", ".join(f"${p}" for p in uses) or "none"
            where = f"{at}.{str(name)[:40]}"
            raise _fail(where, f"names no $parameter of {used_in} (used: {listed})")
    return named_values(uses, constraints, values, f"{at}.")


def check(params: object, prefix: str = "") -> dict:
    """Validate an EXPR request's params and return them normalised: entry, exit, bounds
    (every parameter's [low, high]), then each ``$name``'s value in order of appearance.

    :raise RuleValidationError: naming ``params.entry`` (with the position and a "did you
        mean"), ``params.bounds.n``, ``params.n``…
    """
    at = f"{prefix}params."
    if params is None:
        params = defaults()
    if not isinstance(params, dict):
        raise _fail(f"{prefix}params", f"must be an object, not {_kind(params)}")
    entry, exit_, program = _texts(params, at)
    bounds = _bounds(program, params.get("bounds"), at)
    for key in params:
        if key not in OWN and key not in program.params:
            raise _fail(f"{at}{str(key)[:40]}", _unknown(str(key), program))
    out: dict[str, Any] = {"entry": entry, "exit": exit_, "bounds": bounds}
    for name, use in program.params.items():
        field = f"{at}{name}"
        if params.get(name) is None:  # a sweep's base leaves a swept $name at None
            low, high = bounds[name]
            raise _fail(
                field,
                f"is required (the value of ${name}, {_USE_TEXT[use]} "
                f"from {_fmt(low)} to {_fmt(high)})",
            )
        out[name] = param_value(name, use, params[name], bounds[name], field)
    for text in program.constraints:
        fast, _, slow = text.split(" ")
        if not out[fast] < out[slow]:
            field = f"{at}{fast}"
            raise _fail(
                field,
                f"({out[fast]}) must be less than {slow} ({out[slow]}): macd needs fast < slow",
            )
    return out


def _unknown(key: str, program: Program) -> str:
    import difflib

    names = list(program.params)
    hits = difflib.get_close_matches(key, names, 1, 0.6)
    if hits:
        return f"is not a parameter of EXPR (did you mean {hits[0]}?)"
    used = ", ".join(f"${n}" for n in names) or "no $parameter"
    return f"is not a parameter of EXPR (entry, exit and bounds, and a value per $name: {used})"


def defaults() -> dict:
    """The default EXPR request's params: an SMA cross of constants (no $parameter)."""
    return {"entry": DEFAULT_ENTRY, "exit": DEFAULT_EXIT, "bounds": {}}


def resolve(params: object) -> RuleSpec:
    """The RuleSpec of the texts in ``params`` (missing texts: the defaults): EXPR's own
    params, then one int (window, lag, a count of bars compared with ``bars_held`` in whole
    bounds) or float ParamSpec per ``$name`` with its bounds and
    no default (a run must give it; a sweep may grid it), and the program's constraints.

    :raise RuleValidationError: for a bad text or bounds.
    """
    raw = params if isinstance(params, dict) else {}
    filled = {**defaults(), **{k: v for k, v in raw.items() if k in OWN}}
    entry, exit_, program = _texts(filled, "params.")
    bounds = _bounds(program, filled.get("bounds"), "params.")
    own = (
        ParamSpec("entry", "text", entry, None, None, "Entry condition (strategy language)."),
        ParamSpec("exit", "text", exit_, None, None, "Exit condition (strategy language)."),
        ParamSpec("bounds", "bounds", bounds, None, None, "[low, high] of each $parameter."),
    )
    values = tuple(
        ParamSpec(
            name,
            "int" if _searched_as_int(use, bounds[name]) else "float",
            None,
            bounds[name][0],
            bounds[name][1],
            f"The value of ${name} ({use}).",
        )
        for name, use in program.params.items()
    )
    from dataclasses import replace

    return replace(SPEC, params=own + values, constraints=program.constraints)


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry where the entry text holds, exit where the exit text holds (for one validated
    parameter set)."""
    entries, exits = batch(bars, [params], {})
    return entries[0], exits[0]


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: the rows sharing their texts are evaluated together,
    each distinct sub-expression once per distinct value set of its parameters."""
    from rules.expr.evaluate import evaluate_batch

    n_bars = len(bars)
    entries = np.zeros((len(params_list), n_bars), dtype=bool)
    exits = np.zeros_like(entries)
    groups: dict[tuple[str, str], list[int]] = {}
    for row, params in enumerate(params_list):
        groups.setdefault((params["entry"], params["exit"]), []).append(row)
    if len(groups) == 1:
        return evaluate_batch(program_of(params_list[0]), bars, params_list, cache)
    for texts, rows in groups.items():
        program = compiled(*texts)
        entry_rows, exit_rows = evaluate_batch(program, bars, [params_list[r] for r in rows], cache)
        entries[rows], exits[rows] = entry_rows, exit_rows
    return entries, exits


def position_exits(
    bars: Bars, params_list: list[dict], cache: dict, window: slice, close=None
) -> list | None:
    """The position-aware exits of N validated parameter sets (``rules.expr.position.
    PositionExit``, one per row, on the bars of ``window``, their returns read on ``close``
    when given; None for a row whose exit names no position series), or None when no row's
    does (the signals are then the whole rule)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for row, params in enumerate(params_list):
        groups.setdefault((params["entry"], params["exit"]), []).append(row)
    if not any(compiled(*texts).position_exit for texts in groups):
        return None
    from rules.expr.position import position_exits as exits_of

    out: list = [None] * len(params_list)
    for texts, rows in groups.items():
        program = compiled(*texts)
        if program.position_exit:
            chosen = [params_list[r] for r in rows]
            held = exits_of(program, bars, chosen, cache, window, close=close)
            for row, exit_ in zip(rows, held, strict=True):
                out[row] = exit_
    return out


def uses_position(params: dict) -> bool:
    """Whether validated params' exit names a position series."""
    return program_of(params).position_exit


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """The texts' price-scale indicators of price series (``rules.expr.charts``)."""
    from rules.expr.charts import overlays as chart_overlays

    return chart_overlays(bars, params)


def panels(bars: Bars, params: dict) -> list:
    """The texts' oscillators, one panel per kind, with their compared levels."""
    from rules.expr.charts import panels as chart_panels

    return chart_panels(bars, params)


def warmup(params: dict) -> Warmup:
    """From the texts' indicators (``rules.expr.lookback``)."""
    from rules.expr.lookback import warmup as program_warmup

    return program_warmup(program_of(params), params)


def slug(params: dict) -> str:
    """ "expr-<first 10 hex of the texts' SHA-256>-<values>": the texts cannot go into an id."""
    digest = hashlib.sha256(f"{params['entry']}\n{params['exit']}".encode()).hexdigest()[:10]
    parts = ["expr", digest]
    for name, value in params.items():
        if name not in OWN:
            text = _fmt(value)
            parts.append("m" + text[1:] if text.startswith("-") else text)
    return "-".join(parts)


def label(params: dict) -> str:
    """The texts as a user wrote them, then the $parameters' values:
    ``rsi(close, $n) < $lo → rsi(close, $n) > $hi [n=2 lo=10 hi=70]``."""
    values = " ".join(f"{name}={_fmt(value)}" for name, value in params.items() if name not in OWN)
    said = f"{' '.join(params['entry'].split())} → {' '.join(params['exit'].split())}"
    return f"{said} [{values}]" if values else said


def language() -> dict:
    """The language's reference for the dashboard's editors (``rules.expr.reference``)."""
    from rules.expr.reference import reference

    return reference()


SPEC = RuleSpec(
    rule_type="EXPR",
    description="Your own rule in the strategy language: an entry and an exit condition over "
    "the bar series and indicators, with $parameters a sweep can vary.",
    params=(
        ParamSpec(
            "entry", "text", DEFAULT_ENTRY, None, None, "Entry condition (strategy language)."
        ),
        ParamSpec("exit", "text", DEFAULT_EXIT, None, None, "Exit condition (strategy language)."),
        ParamSpec("bounds", "bounds", {}, None, None, "[low, high] of each $parameter."),
    ),
    signals=signals,
    overlays=overlays,
    panels=panels,
    warmup=warmup,
    check=check,
    resolve=resolve,
    slug=slug,
    reference=language,
    label=label,
)
