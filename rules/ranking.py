"""A portfolio's ranking in the strategy language: a ``score`` text (a series: the higher,
the better ranked) and an optional ``filter`` text (a condition: a ticker is eligible on the
bars where it holds), with one number per ``$name`` they use.

Pure: texts are checked by ``rules.expr`` (the same grammar, whitelist and bounds as the
EXPR rule; nothing is ever executed), parameter values by the EXPR rule's own value check
(``rules.library.expr.param_value``: windows and lags whole and in range, numbers finite),
and ``evaluate`` computes one ticker's score and filter over its bars (bars <= t decide bar
t, as everywhere in the language). ``ref("TICKER", x)`` reads another catalog ticker's bars,
which the edge loads (``Ranking.tickers``) and passes to ``evaluate``; ``tf`` resamples the
ticker's own. docs/portfolios.md describes the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from rules.expr import ExprError
from rules.expr.check import CONDITION, SERIES, check_text
from rules.expr.evaluate import evaluate_series
from rules.expr.tree import Node
from rules.library.expr import given_values
from rules.spec import RuleValidationError

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

DEFAULT_SCORE = "roc(close, 126)"
"""The score of a ranking that names none: six-month momentum."""


@dataclass(frozen=True)
class Ranking:
    """Checked score and filter trees (``filter`` None: every listed ticker may be
    chosen); ``params`` maps each ``$name`` to its use, in order of first appearance;
    ``tickers`` the (side, ticker) of every other ticker a ``ref`` reads, in order of first
    appearance (side "score" or "filter", the first text naming it)."""

    score: Node
    filter: Node | None
    params: dict[str, str] = field(hash=False)
    constraints: tuple[str, ...] = ()
    tickers: tuple[tuple[str, str], ...] = ()


@lru_cache(maxsize=64)
def compile_ranking(score: str, filter_text: str | None) -> Ranking:
    """The ``Ranking`` of a score text and an optional filter text (cached by text).

    :raise ExprError: with ``side`` set to "score" or "filter".
    """
    params: dict[str, str] = {}
    constraints: list[str] = []
    trees: list[Node | None] = []
    read: list[str] = []
    tickers: list[tuple[str, str]] = []
    for side, text, want in (("score", score, SERIES), ("filter", filter_text, CONDITION)):
        if text is None:
            trees.append(None)
            continue
        try:
            trees.append(check_text(text, params, constraints, want, tickers=read))
        except ExprError as exc:
            exc.side = side  # type: ignore[attr-defined]
            raise
        tickers += [(side, ticker) for ticker in read[len(tickers) :]]
    assert trees[0] is not None
    return Ranking(trees[0], trees[1], params, tuple(dict.fromkeys(constraints)), tuple(tickers))


def check_ranking(
    score: object, filter_text: object, values: object, prefix: str = "allocation."
) -> tuple[Ranking, dict[str, Any]]:
    """The ranking of ``score``/``filter_text`` and its ``$name`` values, checked and
    normalised (whole numbers for windows and lags, floats for numbers; in order of first
    appearance).

    :raise RuleValidationError: naming ``allocation.score`` / ``allocation.filter`` (with the
        position and a "did you mean"), or ``params.<name>`` for a missing, unknown or
        out-of-range value.
    """
    for side, text in (("score", score), ("filter", filter_text)):
        if text is not None and not isinstance(text, str):
            raise RuleValidationError(f"{prefix}{side}", f"{prefix}{side} must be a string")
    try:
        ranking = compile_ranking(score, filter_text)  # type: ignore[arg-type]
    except ExprError as exc:
        where = f"{prefix}{exc.side}"  # type: ignore[attr-defined]
        raise RuleValidationError(where, f"{where} at {exc.where}: {exc.message}") from None
    uses, constraints = ranking.params, ranking.constraints
    return ranking, given_values(uses, constraints, values, "params", "score or filter")


def evaluate(
    ranking: Ranking,
    bars: Bars,
    values: dict[str, Any],
    others: Mapping[str, Bars] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(score, passes) of one ticker over its ``bars``: float64 and bool arrays of its
    length; a score is NaN where its indicators are still warming up, ``passes`` is False
    there (and everywhere the filter does not hold). ``others`` ({ticker: bars}): what the
    ranking's ``ref`` calls read (every ticker of ``ranking.tickers``), each aligned to
    ``bars`` as of each bar."""
    cache: dict = {}
    n = len(bars)
    others = {} if others is None else others
    score = np.broadcast_to(
        np.asarray(evaluate_series(ranking.score, bars, values, cache, others), dtype=np.float64),
        (n,),
    ).copy()
    score[~np.isfinite(score)] = np.nan
    if ranking.filter is None:
        passes = np.ones(n, dtype=bool)
    else:
        passes = np.broadcast_to(
            np.asarray(evaluate_series(ranking.filter, bars, values, cache, others), dtype=bool),
            (n,),
        ).copy()
    return score, passes
