"""One implementation of each search (``work.search``, ``Search.score``): every kind is found
through the registry (no ``kind``: a run), a sweep chunk of any kind is evaluated by the one
chunk evaluation, a kind with a vectorised evaluator scores a base's points as each point
alone, and a point-by-point kind's points are scored from its own computation, block
statistics included."""

from __future__ import annotations

import time
import uuid

import numpy as np
import pytest

from adapters.cscv import block_stats
from kinds.portfolios.request_model import parse_portfolio
from kinds.sweeps.contract import chunk_payloads, parse_sweep_request
from kinds.sweeps.evaluate import unpack_blocks
from kinds.sweeps.kind import CHUNK
from kinds.sweeps.search_sweep import searchable_kind
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError
from work.kind import Claim

RUN_BASE = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "start_date": "2018-01-01",
    "end_date": "2019-12-31",
    "params": {"fast": 10, "slow": 30},
}


def test_a_search_without_kind_searches_runs_and_a_refusal_names_every_searchable_kind():
    kind, search = searchable_kind(None)
    assert kind.noun == "run" and search.kind == "run" and search.evaluate_points is not None
    assert searchable_kind("run")[1] is search
    with pytest.raises(RequestError) as caught:
        searchable_kind("nope")
    assert caught.value.field == "kind"
    assert "'run'" in caught.value.message and "'portfolio'" in caught.value.message


def test_the_run_kinds_vectorised_score_gives_each_points_metrics_alone():
    """Swept rule values and stops over one base, one pass: each point's metrics equal
    ``evaluate_one`` of its request; with blocks, each point's block statistics are those of
    its own bar returns."""
    _, search = searchable_kind(None)
    points = [{"fast": 5, "stop_loss_pct": None}, {"fast": 8, "stop_loss_pct": 0.05}]
    scored = search.score(RUN_BASE, points, blocks=4, label="t")
    assert scored.data_hash and scored.blocks.shape == (2, 8)
    for k, point in enumerate(points):
        alone = search.evaluate_one({**search.apply(RUN_BASE, point), "run_id": str(uuid.uuid4())})
        assert scored.metrics[k] == pytest.approx(alone.metrics, nan_ok=True)
        stats = block_stats(np.asarray(alone.returns)[None, :], 4)
        assert np.allclose(scored.blocks[k], np.hstack([stats.sums, stats.squares])[0])
        assert alone.data_hash == scored.data_hash and alone.curve()["equity"]


def test_a_point_by_point_kind_is_scored_from_its_own_computation():
    """A portfolio's points: metrics and block statistics from each point computed alone;
    a point the kind refuses is None when not strict, a 400 naming it when strict."""
    _, search = searchable_kind("portfolio")
    base = parse_portfolio(valid_portfolio())
    points = [{"n": 10, "top_n": 1}, {"n": 40, "top_n": 2}]
    scored = search.score(base, points, blocks=2)
    alone = [search.evaluate_one(search.apply(base, point)) for point in points]
    assert scored.metrics == [outcome.metrics for outcome in alone]
    assert scored.data_hash == alone[0].data_hash
    returns = np.array([list(outcome.returns) for outcome in alone])
    stats = block_stats(returns, 2)
    assert np.array_equal(scored.blocks, np.hstack([stats.sums, stats.squares]))
    loose = search.score(base, [{"top_n": 0}, points[0]], strict=False)
    assert loose.metrics == [None, alone[0].metrics]
    with pytest.raises(RequestError) as caught:
        search.score(base, [{"top_n": 0}])
    assert caught.value.field == "grid.top_n"


def test_a_run_chunk_queued_without_kind_is_computed_by_the_run_kinds_search():
    """A run sweep's chunk message (no ``kind``, the shape queued before searches) runs
    through the chunk kind's one evaluation: its rows, block statistics and Sharpe grid
    are those of the run kind's vectorised score of its combos."""
    sweep = parse_sweep_request({**RUN_BASE, "grid": {"fast": [5, 8, 12]}, "cscv_blocks": 4})
    payload = chunk_payloads(sweep)[0]
    assert "kind" not in payload
    done = CHUNK.compute(Claim(payload["chunk_id"], "test", time.time()), payload)
    _, search = searchable_kind(None)
    scored = search.score(payload["request"], [{"fast": v} for v in (5, 8, 12)], 4)
    assert [row["combo_no"] for row in done.rows] == [0, 1, 2]
    assert [row["ticker"] for row in done.rows] == ["ACME"] * 3
    for row, metrics in zip(done.rows, scored.metrics, strict=True):
        assert {k: row[k] for k in metrics} == metrics
    assert np.array_equal(unpack_blocks(done.block_stats), scored.blocks)
    assert done.sharpe_grid is not None
