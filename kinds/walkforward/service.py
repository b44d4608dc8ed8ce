"""Submitting a walk-forward, without HTTP: what ``web.api.walkforward`` calls.

Validate (the walk-forward fields, the folds counted on the window's bars, then the sweep
of the whole window like any sweep, its combinations × the folds held to the request's caps
(``kinds.sweeps.caps``) before its grid is expanded, then the fold plan over the window's
bars and the folds' chunks held to the caps) → room on the sweep queue for every fold's chunks →
INSERT the walk-forward, one ordinary sweep per fold (its training window) with its chunks,
and the folds PENDING, in ONE transaction → enqueue every chunk. Each chunk message names
its fold as the follow-up (``kinds.sweeps.kind.ON_COMPLETE``): the chunk that finishes a fold's
sweep queues the fold's job. If Redis fails, the chunks not enqueued yet and every fold are
FAILED "queue unavailable" and ``QueueUnavailable`` is raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from rq import Queue
from sqlalchemy.orm import Session

from data.timeframe import DAILY
from kinds.runs.contract import RequestError, new_run_id
from kinds.runs.execute import load_market_data
from kinds.sweeps.caps import RequestCaps
from kinds.sweeps.contract import SweepRequest, chunk_payloads, sized_chunk_size, window_request
from kinds.sweeps.kind import CHUNK, ON_COMPLETE
from kinds.sweeps.provenance import provenance
from kinds.sweeps.search_sweep import SearchSweep, is_search_request, search_chunk_payloads
from kinds.sweeps.service import DEFAULT_CAPS, check_room, check_sweep_data
from kinds.sweeps.store import fail_pending_chunks, insert_sweep
from kinds.walkforward.contract import (
    WalkForwardRequest,
    Windows,
    follow_up,
    parse_windows,
    planned_message,
    sweep_body,
)
from kinds.walkforward.plan import FoldWindow, plan_folds, window_span
from kinds.walkforward.search_folds import plan_search_walkforward
from kinds.walkforward.state import fail_folds
from store.models import WalkForward, WalkForwardFold, utcnow
from work.submit import Submission, submit
from work.transitions import new_item


@dataclass(frozen=True)
class PlannedFold:
    """One fold ready to be stored: its window, its training sweep and its message."""

    window: FoldWindow
    sweep: SweepRequest | SearchSweep
    message: dict


@dataclass(frozen=True)
class Planned:
    """A validated walk-forward, its folds and the data it was planned on."""

    request: WalkForwardRequest
    folds: list[PlannedFold]
    data_hash: str

    @property
    def combos_per_fold(self) -> int:
        return self.request.sweep.combos


FOLDS_FIELD = "step_bars"
"""The field a refusal names when the folds take a request past a cap (fewer folds: a
larger step), as ``plan_folds`` names it for too many folds."""


def _fold_count(
    body: dict, windows: Windows, data_dir: Path | str | None, bar_limit: int | None
) -> int:
    """How many folds the window of ``body`` (the sweep part of the request) holds, counted
    from its ticker and dates alone, before its grid is expanded; 1 when those fields, its
    data or its windows are at fault (the full validation then names them in its order)."""
    request = window_request(body)
    if request is None:
        return 1
    try:
        market = load_market_data(request, data_dir, bar_limit)
        return len(
            plan_folds(
                market.stop - market.start,
                windows.train_bars,
                windows.test_bars,
                windows.step_bars,
                windows.anchored,
            )
        )
    except RequestError:
        return 1


def validate_walkforward(
    payload: dict,
    data_dir: Path | str | None,
    *,
    chunk_size: int | None = None,
    bar_limit: int | None = None,
    caps: RequestCaps = DEFAULT_CAPS,
) -> Planned:
    """The walk-forward, its folds and their training sweeps (one per fold, its dates the
    first and last bar of the fold's training window). A request that names no chunk size
    gets one sized to ALL the folds' combinations (``sized_chunk_size``), so a 10-fold
    walk-forward is cut about like one sweep of ten times the grid.

    ``caps`` bound the folds' combinations and chunks together: the folds are counted on
    the window's bars first, so the grid × folds is refused before the grid is expanded.

    :raise RequestError: naming the field; ``train_bars`` when no fold fits the window;
        past a cap, the field that drives it (``grid``, ``step_bars``, ``chunk_size``).
    """
    windows = parse_windows(payload)
    if is_search_request(payload):
        request, planned, data_hash = plan_search_walkforward(
            payload, windows, data_dir, caps, FOLDS_FIELD
        )
        folds = [PlannedFold(window, sweep, message) for window, sweep, message in planned]
        return Planned(request, folds, data_hash)
    body = sweep_body(payload)
    folds_caps = replace(
        caps, folds=_fold_count(body, windows, data_dir, bar_limit), folds_field=FOLDS_FIELD
    )
    sweep, _ = check_sweep_data(
        body, data_dir, chunk_size=chunk_size, bar_limit=bar_limit, caps=folds_caps
    )
    market = load_market_data(sweep.base, data_dir, bar_limit)
    stamps = market.bars.timestamps[market.start : market.stop]
    daily = sweep.base.timeframe == DAILY
    plan = plan_folds(
        len(stamps), windows.train_bars, windows.test_bars, windows.step_bars, windows.anchored
    )
    folds_caps = replace(folds_caps, folds=len(plan))  # what _fold_count found, if it could
    folds_caps.check_combinations(len(sweep.grid.combos))
    request = WalkForwardRequest(new_run_id(), sweep, windows)
    folds = []
    for window in plan:
        train = window_span(stamps, window.train_start, window.train_stop, daily)
        test = window_span(stamps, window.test_start, window.test_stop, daily)
        base = replace(sweep.base, start_date=train["start_date"], end_date=train["end_date"])
        fold_sweep = replace(sweep, sweep_id=new_run_id(), base=base)
        if body.get("chunk_size") is None:
            total = sweep.combos * len(plan)
            size = sized_chunk_size(chunk_size, total, market.start + window.train_stop)
            fold_sweep = replace(fold_sweep, chunk_size=size)
        message = planned_message(request, window.fold, fold_sweep.sweep_id, (train, test), market)
        folds.append(PlannedFold(window, fold_sweep, message))
    folds_caps.check_chunks(sum(fold.sweep.chunk_count for fold in folds))
    return Planned(request, folds, market.data_hash)


def _insert(
    session: Session,
    planned: Planned,
    chunks: list[list[dict]],
    *,
    queue: str,
    image_tag: str | None,
    created_by: str | None,
) -> None:
    request = planned.request
    now = utcnow()
    session.add(
        WalkForward(
            walkforward_id=request.walkforward_id,
            ticker=request.ticker,
            rule_type=request.sweep.rule_type,
            metric=request.windows.metric,
            request_json=json.dumps(request.to_dict(), separators=(",", ":")),
            folds=len(planned.folds),
            combos_per_fold=planned.combos_per_fold,
            **provenance(
                planned.data_hash, image_tag=image_tag, created_by=created_by, created_at=now
            ),
        )
    )
    session.flush()
    for fold, payloads in zip(planned.folds, chunks, strict=True):
        insert_sweep(
            session, fold.sweep, payloads, image_tag=image_tag, queue=queue, created_by=created_by
        )
        session.add(
            WalkForwardFold(
                fold_id=fold.message["fold_id"],
                walkforward_id=request.walkforward_id,
                fold_no=fold.window.fold,
                sweep_id=fold.sweep.sweep_id,
                payload_json=json.dumps(fold.message, separators=(",", ":")),
                **new_item(queue, now),
            )
        )


def walkforward_submission(
    planned: Planned, *, image_tag: str | None, created_by: str | None = None
) -> Submission:
    """What submitting ``planned`` records and queues (``work.submit``): the walk-forward,
    its folds' sweeps and chunks and its folds PENDING, one message per chunk (each naming
    its fold as ``on_complete``); a failed enqueue fails the chunks still PENDING and every
    fold."""
    chunks = []
    for fold in planned.folds:
        if isinstance(fold.sweep, SearchSweep):
            payloads = search_chunk_payloads(fold.sweep)
        else:
            payloads = chunk_payloads(fold.sweep)
        for payload in payloads:
            payload[ON_COMPLETE] = follow_up(fold.message, planned.request.ticker)
        chunks.append(payloads)

    def insert(session: Session, queue: str) -> None:
        _insert(session, planned, chunks, queue=queue, image_tag=image_tag, created_by=created_by)

    def fail(session: Session, error: str) -> int:
        failed = sum(
            fail_pending_chunks(session, fold.sweep.sweep_id, error) for fold in planned.folds
        )
        fail_folds(session, planned.request.walkforward_id, error)
        return failed

    return Submission(insert, [payload for payloads in chunks for payload in payloads], fail)


def submit_walkforward(
    session: Session,
    queue: Queue,
    planned: Planned,
    *,
    image_tag: str | None,
    created_by: str | None = None,
    max_pending: int | None = None,
) -> int:
    """Submit ``planned`` without HTTP (``walkforward_submission`` through
    ``work.submit.submit``) on ``queue`` (the sweep queue); the number of chunks.
    ``max_pending``: the most chunks ``queue`` may hold.

    :raise kinds.sweeps.service.QueueFull: no room on ``queue`` (nothing was recorded).
    :raise work.submit.QueueUnavailable: an enqueue failed (chunks still PENDING and every
        fold are FAILED).
    """
    submission = walkforward_submission(planned, image_tag=image_tag, created_by=created_by)
    if max_pending is not None:
        check_room(queue, len(submission.messages), max_pending)
    submit(session, queue, CHUNK, submission)
    return len(submission.messages)
