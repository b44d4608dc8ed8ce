"""What the cube kind contributes to searches (``work.search``): its space (the whole number
``n`` and the choice ``sign``), the request of one point (the base with the point's values,
checked by ``CubeRequest`` like a submission) and its evaluator (the cube, as an item stores
it, with registry metrics a search ranks by and a toy curve of returns the overfitting
statistics and the deflated Sharpe ratio read). Declared by ``CUBE.search``; nothing outside
this package names it."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from metrics import SWEEP_METRIC_KEYS
from tests.work.cubes.kind import cubed
from tests.work.cubes.request import CubeRequest
from work.errors import model_error
from work.search import Domain, Outcome, Search

BARS = 64
"""Bars of a cube's toy curve of returns."""
BARS_PER_YEAR = 252.0
"""What its Sharpe ratio is annualised with."""


def returns_of(request: dict[str, Any]) -> list[float]:
    """A cube's toy curve: ``BARS`` bar returns that depend on ``n`` and flip with ``sign``."""
    side, flip = int(request["n"]), -1.0 if request["sign"] == "-" else 1.0
    return [flip * ((side * (k + 1)) % 13 - 6 + side % 5) / 1000.0 for k in range(BARS)]


def _sharpe(returns: list[float]) -> float | None:
    spread = statistics.stdev(returns)
    return statistics.fmean(returns) / spread * math.sqrt(BARS_PER_YEAR) if spread > 0 else None


class CubeSearch(Search):
    """The cube kind's search: ``n`` and ``sign``, evaluated point by point (no data, no
    label: the base-class defaults)."""

    kind = "cube"

    def space(self, base: dict[str, Any]) -> dict[str, Domain]:
        """``n`` (0 to 1000) and ``sign`` (+ or -), each defaulting to the base's."""
        return {
            "n": Domain("int", 0, 1000, default=base["n"]),
            "sign": Domain("choice", choices=("+", "-"), default=base["sign"]),
        }

    def apply(self, base: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
        """``base`` with ``point``'s values, checked like ``POST /api/cubes`` checks a request.

        :raise RequestError: naming ``grid.<name>`` for a point's value, the field otherwise.
        """
        try:
            request = CubeRequest.model_validate({**base, **point})
        except ValidationError as exc:
            error = model_error(exc)
            if error.field in point:
                error = type(error)(f"grid.{error.field}", error.message)
            raise error from None
        return request.model_dump(mode="json")

    def evaluate_one(self, request: dict[str, Any]) -> Outcome:
        """One point: its cube (the result a cube item stores), ``total_return_pct`` the cube,
        ``num_trades`` ``n`` and ``sharpe_ratio`` that of its toy curve; no other metric."""
        result = {"cube": cubed(request)}
        returns = returns_of(request)
        metrics: dict[str, float | int | None] = dict.fromkeys(SWEEP_METRIC_KEYS)
        metrics.update(
            total_return_pct=float(result["cube"]),
            num_trades=int(request["n"]),
            sharpe_ratio=_sharpe(returns),
        )
        text = json.dumps(result, sort_keys=True)
        return Outcome(request, result, text, metrics, returns, BARS_PER_YEAR)


SEARCH = CubeSearch()
"""The cube kind's search (``CUBE.search``)."""
