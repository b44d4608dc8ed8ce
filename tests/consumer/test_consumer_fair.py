"""A queue in fair order (``work.fair``) is consumed as before: a real ``python -m consumer``
still takes exactly one item, the head of the list, and the list's length (what KEDA and the
local scaler count) is the number of items still queued — so client B's single run, queued
after client A's three, is the second one executed."""

from __future__ import annotations

from kinds.runs.contract import parse_request
from kinds.runs.kind import RUN
from kinds.runs.store import insert_pending
from tests.consumer.support import QUICK_RUN, consumer, finish, stored_run
from work.status import RunStatus
from work.submit import Submission, submit


def submit_runs(sessions, queue, client: str, count: int) -> list[str]:
    """Submit ``count`` quick runs in one submission as ``client`` (``work.submit``)."""
    requests = [parse_request(QUICK_RUN) for _ in range(count)]

    def insert(session, queue_name: str) -> None:
        for request in requests:
            insert_pending(session, request, "test", queue=queue_name)

    def fail(session, error: str) -> int:
        return sum(RUN.mark_failed(session, r.run_id, error) for r in requests)

    with sessions() as session:
        submit(
            session, queue, RUN, Submission(insert, [r.to_dict() for r in requests], fail), client
        )
    return [request.run_id for request in requests]


def test_a_consumer_takes_one_item_the_head_of_the_fair_order(env, sessions, queue):
    """A's 3 runs, then B's 1: the list is a1 b1 a2 a3; the first consumer runs a1, the
    second b1, each taking one (LLEN 4 → 3 → 2), and A's two others still wait."""
    a1, a2, a3 = submit_runs(sessions, queue, "addr:10.0.0.1", 3)
    (b1,) = submit_runs(sessions, queue, "addr:10.0.0.2", 1)
    assert queue.get_job_ids() == [a1, b1, a2, a3]
    for taken, left in ((a1, 3), (b1, 2)):
        code, log = finish(consumer(env))
        assert code == 0, log
        assert stored_run(sessions, taken).status == RunStatus.SUCCEEDED, log
        assert queue.connection.llen(queue.key) == left == queue.count
    assert queue.get_job_ids() == [a2, a3]
    assert {stored_run(sessions, r).status for r in (a2, a3)} == {RunStatus.PENDING}
