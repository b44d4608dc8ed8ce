"""A PYTHON run through the real queue: ``python -m consumer`` runs the user's strategy in
its sandbox. SmaCross SUCCEEDS with notebook mode's final equity on the same bars; a
strategy raising in ``next`` FAILS with its own traceback; an endless loop FAILS at its
CPU limit. The consumer exits 0 each time (nothing a strategy does leaves it stuck)."""

from __future__ import annotations

import json

import pytest

from backtest_strategy import Backtest
from kinds.runs.contract import parse_request
from kinds.runs.execute import load_market_data, market_window
from kinds.runs.kind import enqueue_run
from kinds.runs.python_run import strategy_frame
from kinds.runs.store import insert_pending
from tests.consumer.support import consumer, finish, stored_run
from tests.runs.python_strategies import ENDLESS, RAISES, SMA_CROSS, module_of
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]  # consumer processes

DEMO = {
    "ticker": "ACME",
    "rule_type": "PYTHON",
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
    "charts": False,
}


def run_through_queue(env, sessions, queue, code: str, class_name: str, **extra: str):
    request = parse_request({**DEMO, "strategy_code": code, "strategy_class": class_name})
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name)
    enqueue_run(queue, request)
    code_, out = finish(consumer(env, **extra), timeout=120)
    assert code_ == 0, out
    return request, stored_run(sessions, request.run_id)


def test_sma_cross_succeeds_with_notebook_modes_final_equity(env, sessions, queue):
    request, done = run_through_queue(env, sessions, queue, SMA_CROSS, "SmaCross")
    assert done.status == RunStatus.SUCCEEDED, done.error_message
    result = json.loads(done.result_json)
    bars = market_window(load_market_data(request)).bars
    expected = Backtest(
        strategy_frame(bars), module_of(SMA_CROSS)["SmaCross"], cash=100_000, commission=0.001
    ).run()
    assert result["metrics"]["final_equity"] == expected["Equity Final [$]"]
    assert result["equity_curve"]["equity"][-1] == expected["Equity Final [$]"]
    assert result["metrics"]["num_trades"] == len(expected["_trades"]) > 0
    assert len(result["strategy_hash"]) == 64


def test_a_strategy_raising_in_next_fails_with_its_traceback(env, sessions, queue):
    _, done = run_through_queue(env, sessions, queue, RAISES, "Raises")
    assert done.status == RunStatus.FAILED
    message = done.error_message
    assert "RuntimeError: my strategy gave up on bar 31" in message, message
    assert "in helper" in message and "in next" in message
    assert "sandbox/" not in message and "kinds/" not in message


def test_an_endless_loop_fails_at_its_cpu_limit(env, sessions, queue):
    _, done = run_through_queue(
        env, sessions, queue, ENDLESS, "Endless", SANDBOX_CPU_SECONDS="1", SANDBOX_WALL_SECONDS="20"
    )
    assert done.status == RunStatus.FAILED
    assert "CPU time" in done.error_message, done.error_message
