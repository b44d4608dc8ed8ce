"""The walk-forward contract: a sweep request for ONE ticker plus the windows and the
selection rule, the fold ids, and the message of a fold's queued job.

Walk-forward fields (docs/walkforward.md): ``train_bars`` (int >= 20, required),
``test_bars`` (int >= 1, required), ``step_bars`` (int >= 1, default ``test_bars``),
``anchored`` (bool, default false), ``metric`` (a sweep metric key, default
``sharpe_ratio``), ``min_trades`` (int >= 0, default 1). Every other field is the sweep
request's (``kinds.sweeps.contract``), checked by the sweep's own validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kinds.sweeps.contract import SweepRequest
from metrics import SWEEP_METRIC_KEYS
from work.errors import RequestError

TRAIN_BARS_MIN = 20
"""Fewest bars a training window may have."""

DEFAULT_METRIC = "sharpe_ratio"
DEFAULT_MIN_TRADES = 1

WALKFORWARD_FIELDS = ("train_bars", "test_bars", "step_bars", "anchored", "metric", "min_trades")
"""The fields a walk-forward adds to a sweep request."""

FOLD_FUNCTION = "walkforward.kind.run_fold"
"""The job name of a queued fold (``kinds.walkforward.kind.FOLD``; the consumer resolves it
through ``kinds.registry``): part of every fold message, so it never changes."""


@dataclass(frozen=True)
class Windows:
    """A walk-forward's own fields, validated."""

    train_bars: int
    test_bars: int
    step_bars: int
    anchored: bool
    metric: str
    min_trades: int


def _count(payload: dict, name: str, minimum: int, default: int | None = None) -> int:
    value = payload.get(name, default)
    if value is None:
        raise RequestError(name, "is required (an integer)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(name, "must be an integer")
    if value < minimum:
        raise RequestError(name, f"must be at least {minimum}")
    return value


def parse_windows(payload: dict) -> Windows:
    """The walk-forward fields of a request body (a JSON object).

    :raise RequestError: naming the first bad field, in ``WALKFORWARD_FIELDS`` order.
    """
    train = _count(payload, "train_bars", TRAIN_BARS_MIN)
    test = _count(payload, "test_bars", 1)
    step = _count(payload, "step_bars", 1, test)
    anchored = payload.get("anchored", False)
    if not isinstance(anchored, bool):
        raise RequestError("anchored", "must be true or false")
    metric = payload.get("metric", DEFAULT_METRIC)
    if metric not in SWEEP_METRIC_KEYS:
        raise RequestError("metric", f"must be one of: {', '.join(SWEEP_METRIC_KEYS)}")
    min_trades = _count(payload, "min_trades", 0, DEFAULT_MIN_TRADES)
    return Windows(train, test, step, anchored, metric, min_trades)


def sweep_body(payload: dict) -> dict:
    """The request without the walk-forward fields: the sweep request of the whole window.

    :raise RequestError: ``tickers`` naming more than one ticker.
    """
    tickers = payload.get("tickers")
    if isinstance(tickers, list) and len(tickers) != 1:
        raise RequestError("tickers", "a walk-forward covers exactly one ticker")
    return {name: value for name, value in payload.items() if name not in WALKFORWARD_FIELDS}


def fold_id(walkforward_id: str, fold_no: int) -> str:
    """A fold's id, which is also its RQ job id: ``<walkforward_id>-f<fold_no>``."""
    return f"{walkforward_id}-f{fold_no}"


@dataclass(frozen=True)
class WalkForwardRequest:
    """A validated walk-forward: ``sweep`` is the sweep of the whole window (its base
    request, params and grid), ``windows`` the walk-forward fields."""

    walkforward_id: str
    sweep: SweepRequest
    windows: Windows

    @property
    def ticker(self) -> str:
        return self.sweep.tickers[0]

    def to_dict(self) -> dict[str, Any]:
        """The normalised request as stored and shown: the sweep fields for the one ticker
        (ranges expanded) and the walk-forward fields."""
        stored = self.sweep.to_dict()
        for name in ("sweep_id", "tickers", "chunk_size"):
            stored.pop(name)
        w = self.windows
        return {
            "walkforward_id": self.walkforward_id,
            "ticker": self.ticker,
            **stored,
            "train_bars": w.train_bars,
            "test_bars": w.test_bars,
            "step_bars": w.step_bars,
            "anchored": w.anchored,
            "metric": w.metric,
            "min_trades": w.min_trades,
        }


def fold_message(
    walkforward_id: str, fold_no: int, sweep_id: str, windows: dict[str, Any]
) -> dict[str, Any]:
    """A fold's queue message (also stored as its ``payload_json``): its ids and its
    windows (``{"train": {start, end, bars, start_date, end_date, first}, "test": …}``)."""
    return {
        "fold_id": fold_id(walkforward_id, fold_no),
        "walkforward_id": walkforward_id,
        "fold_no": fold_no,
        "sweep_id": sweep_id,
        **windows,
    }


def planned_message(
    request: WalkForwardRequest,
    fold_no: int,
    sweep_id: str,
    spans: tuple[dict[str, Any], dict[str, Any]],
    data: Any,
) -> dict[str, Any]:
    """A planned fold's message: its (train, test) windows (``plan.window_span``), the
    request's selection rule, and the ``data_hash`` and ``bars_per_year`` of the ``data``
    it was planned on (a ticker's loaded market data, a portfolio's universe)."""
    train, test = spans
    return fold_message(
        request.walkforward_id,
        fold_no,
        sweep_id,
        {
            "train": train,
            "test": test,
            "metric": request.windows.metric,
            "min_trades": request.windows.min_trades,
            "data_hash": data.data_hash,
            "bars_per_year": data.bars_per_year,
        },
    )


def follow_up(message: dict[str, Any], ticker: str) -> dict[str, Any]:
    """What a fold's training chunks queue when their sweep is done
    (``kinds.sweeps.kind.ON_COMPLETE``): the fold's job."""
    return {
        "function": FOLD_FUNCTION,
        "job_id": message["fold_id"],
        "payload": {"fold_id": message["fold_id"]},
        "description": f"walk-forward fold {message['fold_id']} {ticker}",
    }
