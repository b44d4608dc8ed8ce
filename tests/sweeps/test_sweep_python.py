"""A sweep of a PYTHON strategy (kinds.sweeps.python_sweep, kinds.sweeps.python_points,
kinds.strategies.replayed): its 400s naming the field, every combination of a chunk run in
one sandbox giving the metrics its run alone gives (byte for byte, random draws included),
a combination that raises failing alone with its run's message, and the code in the cache
key."""

from __future__ import annotations

import json

import pytest

from kinds.runs.contract import RequestError, parse_request
from kinds.runs.kind import execute_request
from kinds.runs.python_request import STRATEGY_CODE_MAX
from kinds.sweeps.cache import sweep_cache_key
from kinds.sweeps.contract import chunk_payloads, combo_run_request, parse_sweep_request
from kinds.sweeps.search_sweep import evaluate_sweep_chunk, read_chunk
from metrics import SWEEP_METRIC_KEYS
from tests.runs.python_strategies import ACME_SMA_CROSS, SMA_CROSS
from work.kind import WorkFailed

BASE = {
    **ACME_SMA_CROSS,
    "grid": {"n1": [5, 10], "n2": "15:30:15"},
}

PICKY = SMA_CROSS.replace(
    "    def next(self):\n",
    "    def next(self):\n"
    "        if self.n1 == 7 and len(self.data) > 40:\n"
    '            raise ValueError(f"n1 of 7 gave up on bar {len(self.data)}")\n',
)
"""SmaCross whose combinations with n1 = 7 raise in ``next``."""

LUCKY = """\
import random

import numpy as np
from backtest_strategy import Strategy


class Lucky(Strategy):
    chance = 0.1

    def init(self):
        self.noise = np.random.random(5)

    def next(self):
        if not self.position and random.random() < self.chance:
            self.buy(size=int(1 + np.random.randint(0, 50)))
        elif self.position and random.random() < self.chance:
            self.position.close()
"""
"""A strategy drawing from ``random`` and ``numpy.random`` every bar."""


def refused(**fields) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BASE, **fields})
    return caught.value


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"grid": {"n3": [1, 2]}}, "grid.n3"),
        ({"grid": {"n1": [5, float("nan")]}}, "grid.n1[1]"),
        ({"grid": {"n1": [5, [1]]}}, "grid.n1[1]"),
        ({"grid": {"n1": "5:1:1"}}, "grid.n1"),
        ({"grid": {"_n1": [1]}}, "params"),
        ({"params": {"zz": 1}}, "params.zz"),
        ({"params": {"n1": float("inf")}}, "params.n1"),
        ({"strategy_code": "x = 1\n" * (STRATEGY_CODE_MAX // 6 + 1)}, "strategy_code"),
        ({"strategy_code": None}, "strategy_code"),
        ({"strategy_class": "Sma Cross"}, "strategy_class"),
        ({"stop_loss_pct": 5}, "stop_loss_pct"),
        ({"random": {"points": 0}}, "random.points"),
        ({"random": "half"}, "random"),
        ({"rule_type": "SMA_CROSS", "grid": {"fast": [5]}, "random": {"points": 1}}, "random"),
    ],
)
def test_a_bad_field_of_a_python_sweep_is_a_400_naming_it(fields, field):
    assert refused(**fields).field == field


def test_a_syntax_error_is_a_400_at_its_line_and_column():
    error = refused(strategy_code="class S:\n    def next(self)\n        pass\n")
    assert error.field == "strategy_code" and "line 2, column 19" in error.message


def test_the_grid_varies_class_attributes_in_name_order_and_random_samples_it():
    sweep = parse_sweep_request({**BASE, "grid": {"n2": [20, 30], "n1": "4:8:2"}})
    assert sweep.grid.names == ("n1", "n2") and sweep.combos == 6
    assert sweep.grid.values == {"n1": [4, 6, 8], "n2": [20, 30]}
    sampled = parse_sweep_request({**BASE, "grid": {"n1": "2:12:1"}, "random": {"points": 4}})
    again = parse_sweep_request({**BASE, "grid": {"n1": "2:12:1"}, "random": {"points": 4}})
    assert len(sampled.grid.combos) == 4 and sampled.grid.combos == again.grid.combos
    assert sampled.to_dict()["random"] == {"points": 4, "seed": 0}


def test_the_cache_key_changes_with_one_character_of_the_code():
    one, same = parse_sweep_request(BASE), parse_sweep_request(BASE)
    other = parse_sweep_request({**BASE, "strategy_code": SMA_CROSS.replace("n1 = 10", "n1 = 11")})
    hashes = {"ACME": "h"}
    assert sweep_cache_key(one, hashes) == sweep_cache_key(same, hashes)
    assert sweep_cache_key(one, hashes) != sweep_cache_key(other, hashes)


def alone(sweep, row) -> dict:
    """The metrics (or the error) of one chunk row's combination run on its own."""
    body = combo_run_request(sweep.to_dict(), row["ticker"], row["params"])
    try:
        result = execute_request(parse_request(body))
    except WorkFailed as failed:
        return {"error": failed.message}
    return {key: result.metrics.get(key) for key in SWEEP_METRIC_KEYS}


def chunk_rows(sweep) -> list[dict]:
    (payload,) = chunk_payloads(sweep)
    return evaluate_sweep_chunk(read_chunk(json.loads(json.dumps(payload)))).rows


def test_each_combination_of_a_chunk_has_the_metrics_of_its_run_alone_and_one_fails_alone():
    sweep = parse_sweep_request({**BASE, "strategy_code": PICKY, "grid": {"n1": [5, 7, 10]}})
    rows = chunk_rows(sweep)
    assert [row["params"] for row in rows] == [{"n1": 5}, {"n1": 7}, {"n1": 10}]
    failed = rows[1]
    assert all(failed[key] is None for key in SWEEP_METRIC_KEYS)
    assert "ValueError: n1 of 7 gave up on bar 41" in failed["error"]
    assert "strategy.py" in failed["error"] and "sandbox/" not in failed["error"]
    assert alone(sweep, failed) == {"error": failed["error"]}
    for row in (rows[0], rows[2]):
        assert "error" not in row and row["num_trades"] > 0
        metrics = {key: row[key] for key in SWEEP_METRIC_KEYS}
        assert json.dumps(metrics) == json.dumps(alone(sweep, row))
    assert rows[0]["total_return_pct"] != rows[2]["total_return_pct"]


def test_combinations_drawing_random_numbers_draw_what_each_run_alone_draws():
    sweep = parse_sweep_request(
        {**BASE, "strategy_code": LUCKY, "strategy_class": "Lucky",
         "grid": {"chance": [0.05, 0.1, 0.2]}}
    )  # fmt: skip
    rows = chunk_rows(sweep)
    assert len({row["total_return_pct"] for row in rows}) == 3
    for row in rows:
        metrics = {key: row[key] for key in SWEEP_METRIC_KEYS}
        assert json.dumps(metrics) == json.dumps(alone(sweep, row))


@pytest.mark.mysql
@pytest.mark.redis
@pytest.mark.slow  # a consumer process
def test_a_python_sweep_chunk_through_the_queue_stores_each_combination_once(env, sessions, queue):
    """One chunk queued as the web queues it: one consumer runs its three combinations in
    one sandbox and stores them, SUCCEEDED; the one that raised has no metrics and its
    run's message; the others the metrics the chunk computes in process; exit 0."""
    from kinds.sweeps.kind import CHUNK
    from kinds.sweeps.service import result_dict
    from kinds.sweeps.store import get_chunk, insert_sweep
    from store.models import SweepResult
    from tests.consumer.support import consumer, finish
    from work.status import RunStatus

    sweep = parse_sweep_request({**BASE, "strategy_code": PICKY, "grid": {"n1": [5, 7, 10]}})
    (payload,) = chunk_payloads(sweep)
    with sessions.begin() as session:
        insert_sweep(session, sweep, [payload], image_tag="test", queue=queue.name)
    CHUNK.enqueue(queue, payload)
    code, out = finish(consumer(env), timeout=120)
    assert code == 0, out
    with sessions() as session:
        assert get_chunk(session, payload["chunk_id"]).status == RunStatus.SUCCEEDED, out
        stored = [
            result_dict(row)
            for row in session.query(SweepResult)
            .filter_by(sweep_id=sweep.sweep_id)
            .order_by(SweepResult.combo_no)
        ]
    expected = chunk_rows(sweep)
    assert [row["combo_no"] for row in stored] == [0, 1, 2]
    assert stored[1]["error"] == expected[1]["error"] and "n1 of 7 gave up" in stored[1]["error"]
    assert all(value is None for value in stored[1]["metrics"].values())
    for got, want in ((stored[0], expected[0]), (stored[2], expected[2])):
        assert "error" not in got
        assert got["metrics"]["sharpe_ratio"] == want["sharpe_ratio"] is not None
        assert got["metrics"]["num_trades"] == want["num_trades"] > 0


def test_a_python_sweep_naming_no_chunk_size_is_cut_by_its_combinations_times_bars():
    from kinds.sweeps.contract import sized_python_chunk_size

    assert sized_python_chunk_size(500, 2_148) == 250  # two chunks: one per core
    assert sized_python_chunk_size(40, 2_148) == 40
    assert sized_python_chunk_size(5_000, 100_000) == 10


@pytest.mark.parametrize("sampled", [None, {"points": 2, "seed": 3}])
def test_a_sweep_passes_its_refs_to_each_combination_as_its_run_alone(sampled):
    """A sweep of a strategy reading ``self.ref("DEMOIX")`` (grid and random): each
    combination gets the ref's bars its run alone gets, and the ref's file is in the data
    hash the sweep's cache keys on."""
    from kinds.sweeps.service import data_hashes
    from tests.strategy.test_strategy_refs import RATIO

    body = {
        **ACME_SMA_CROSS,
        "end_date": "2018-12-31",
        "strategy_code": RATIO,
        "strategy_class": "Ratio",
        "refs": ["demoix"],
        "grid": {"n": [5, 10, 20]},
        "random": sampled,
    }
    sweep = parse_sweep_request(body)
    assert sweep.to_dict()["refs"] == ["DEMOIX"]
    rows = chunk_rows(sweep)
    assert len(rows) == (3 if sampled is None else 2)
    assert len({row["total_return_pct"] for row in rows}) == len(rows)
    for row in rows:
        assert "error" not in row, row["error"]
        assert row["num_trades"] > 3
        metrics = {key: row[key] for key in SWEEP_METRIC_KEYS}
        assert json.dumps(metrics) == json.dumps(alone(sweep, row))
    unrefd = parse_sweep_request({**BASE, "end_date": "2018-12-31"})
    assert data_hashes(sweep, None)["ACME"] != data_hashes(unrefd, None)["ACME"]


def test_a_sweep_refs_a_ticker_the_catalog_lacks_is_a_400_naming_refs():
    from kinds.sweeps.service import validate_sweep

    with pytest.raises(RequestError) as caught:
        validate_sweep({**BASE, "refs": ["DEMOIX", "NOSUCH"]}, None)
    assert caught.value.field == "refs" and "NOSUCH" in caught.value.message


def test_a_sweep_runs_each_combination_with_the_books_settings_of_its_run_alone():
    sweep = parse_sweep_request(
        {**BASE, "grid": {"n1": [5, 10]}, "margin": 0.5, "exclusive_orders": True,
         "trade_on_close": True, "hedging": True}
    )  # fmt: skip
    assert sweep.to_dict()["margin"] == 0.5 and sweep.to_dict()["hedging"] is True
    plain = chunk_rows(parse_sweep_request({**BASE, "grid": {"n1": [5, 10]}}))
    rows = chunk_rows(sweep)
    for row, without in zip(rows, plain, strict=True):
        assert "error" not in row and row["num_trades"] > 0
        metrics = {key: row[key] for key in SWEEP_METRIC_KEYS}
        assert json.dumps(metrics) == json.dumps(alone(sweep, row))
        assert row["total_return_pct"] != without["total_return_pct"]
    with pytest.raises(RequestError) as caught:
        parse_sweep_request({**BASE, "margin": 2})
    assert caught.value.field == "margin"
