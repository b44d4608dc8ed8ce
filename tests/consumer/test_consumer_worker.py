"""``python -m consumer`` on MariaDB + Redis: one run per process, outcomes recorded, faults.

Kill tests freeze the consumer and its work-horse (SIGSTOP; RQ puts the horse in its own
process group) the moment the run is RUNNING, so the kill lands mid-run without a race. A
killed work-horse (what an out-of-memory kill does) is seen by the parent at once and RQ
retries the run; a killed consumer (pod lost) is found by the reaper after RQ's heartbeat
expires (monitoring interval + RQ_HEARTBEAT_MARGIN, 5 s here: ``SHORT_MARGIN``), retried once,
and FAILED if the retry dies too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer

from consumer import reaper
from consumer.reaper import CRASHED, reap
from kinds.runs.contract import parse_request
from kinds.runs.kind import enqueue_run
from kinds.runs.store import insert_pending
from tests.consumer.support import (
    SHORT_MARGIN,
    children,
    consumer,
    finish,
    long_history,
    signal_pod,
    stored_run,
)
from tests.stack import PROJECT_ROOT, wait_until
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]  # consumer processes


def submit(sessions, queue, **fields) -> str:
    payload = {
        "ticker": "ACME",
        "rule_type": "SMA_CROSS",
        "start_date": "2016-01-01",
        "end_date": "2018-12-31",
        "charts": False,
        **fields,
    }
    request = parse_request(payload, strict=False)
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name)
    enqueue_run(queue, request)
    return request.run_id


@pytest.fixture
def slow_data(tmp_path) -> Path:
    """A DATA_DIR with SLOW: 20,000 daily bars (the most a run may cover; ~1 s with charts)."""
    return long_history(tmp_path / "slowdata", "SLOW", seed=7)


def test_a_consumer_takes_exactly_one_run_records_it_and_exits_zero(env, sessions, queue):
    """Two queued runs: one process runs one of them to SUCCEEDED, the other stays queued."""
    first = submit(sessions, queue)
    second = submit(sessions, queue, rule_type="RSI")
    proc = consumer(env)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    done = stored_run(sessions, first)
    assert done.status == RunStatus.SUCCEEDED and done.attempts == 1
    assert done.started_at <= done.completed_at and done.worker
    result = json.loads(done.result_json)
    assert result["run_id"] == first and result["data_hash"] == done.data_hash
    assert result["engine_version"] == done.engine_version
    assert stored_run(sessions, second).status == RunStatus.PENDING
    assert queue.connection.lrange(f"rq:queue:{env['RQ_QUEUE']}", 0, -1) == [second.encode()]
    assert Path(env["CLAIM_FILE"]).exists()
    assert first in out, "every log line about the run carries its run_id"


def test_a_rewritten_queue_payload_runs_the_request_stored_with_the_run(env, sessions, queue):
    """The database decides what runs: a queued payload rewritten to another ticker and rule
    still produces the result of the request stored with the run, with a warning logged."""
    run_id = submit(sessions, queue)
    job = Job.fetch(run_id, connection=queue.connection, serializer=JSONSerializer)
    forged = {**job.args[0], "ticker": "GLOBEX", "rule_type": "RSI", "params": None}
    job.args = (forged,)
    job.save()
    proc = consumer(env)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    done = stored_run(sessions, run_id)
    assert done.status == RunStatus.SUCCEEDED
    result = json.loads(done.result_json)
    assert (result["request"]["ticker"], result["request"]["rule_type"]) == ("ACME", "SMA_CROSS")
    assert "differs from the stored one" in out


def test_an_empty_queue_exits_zero_at_once(env):
    """KEDA can over-start Jobs: with nothing queued the consumer exits 0 without claiming."""
    started = time.monotonic()
    proc = consumer(env)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert time.monotonic() - started < 5
    assert not Path(env["CLAIM_FILE"]).exists()


def test_an_empty_queue_is_seen_before_the_worker_and_its_libraries_are_loaded(env):
    """The over-started Job's cost is its imports: with nothing queued, RQ, SQLAlchemy, numpy
    and the kinds are never loaded, and the exit code is 0."""
    probe = (
        "import sys; from consumer.__main__ import main; code = main([]); "
        "print(code, sorted(m for m in ('rq', 'sqlalchemy', 'numpy', 'consumer.worker')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr
    assert "queue empty" in out.stderr


JOB_IMPORT_PROBE = """
import os, sys
from importlib.abc import MetaPathFinder
HEAVY = ("sqlalchemy", "pydantic", "matplotlib")
class Watch(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            with open(sys.argv[1], "a") as log:
                log.write(f"{os.getpid()} {name}\\n")
        return None
sys.meta_path.insert(0, Watch())
from consumer.__main__ import main
code = main([])
print(code, os.environ.get("OPENBLAS_NUM_THREADS"))
"""


def test_a_job_that_runs_a_queued_run_loads_no_sqlalchemy_pydantic_or_matplotlib(
    env, sessions, queue, tmp_path
):
    """A Job's CPU is mostly its imports (bench.job_cost_bench): with charts false, neither
    the consumer nor its work-horse imports SQLAlchemy (plain DBAPI statements), pydantic
    (the stored request was validated by the web) or matplotlib, and numpy's math runs on
    one thread unless the operator said otherwise."""
    run_id = submit(sessions, queue)
    imported = tmp_path / "imported.txt"
    out = subprocess.run(
        [sys.executable, "-c", JOB_IMPORT_PROBE, str(imported)],
        env={k: v for k, v in {**os.environ, **env}.items() if k != "OPENBLAS_NUM_THREADS"},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.strip() == "0 1", out.stdout + out.stderr
    assert stored_run(sessions, run_id).status == RunStatus.SUCCEEDED, out.stderr
    assert not imported.exists(), imported.read_text()


GC_PROBE = """
import gc
from consumer.__main__ import main
code = main([])
print(code, gc.isenabled(), gc.get_freeze_count() > 0)
"""


def test_the_garbage_collector_is_back_on_after_the_start_up_and_the_imports_are_frozen(
    env, sessions, queue
):
    """The consumer pauses cyclic garbage collection while it imports, then freezes what the
    imports made (no later collection walks it) and collects again: after a run, collection
    is on and the start-up's objects are frozen; on an empty queue it is on again too."""
    run_id = submit(sessions, queue)
    probe = [sys.executable, "-c", GC_PROBE]
    options = {"env": {**os.environ, **env}, "cwd": PROJECT_ROOT, "capture_output": True}
    out = subprocess.run(probe, text=True, timeout=120, **options)
    assert out.stdout.strip() == "0 True True", out.stdout + out.stderr
    assert stored_run(sessions, run_id).status == RunStatus.SUCCEEDED, out.stderr
    out = subprocess.run(probe, text=True, timeout=60, **options)
    assert out.stdout.strip() == "0 True False", out.stdout + out.stderr


def test_a_run_that_fails_as_a_backtest_is_failed_with_a_clear_message_and_exit_zero(
    env, sessions, queue, tmp_path
):
    """A data file that breaks a quality rule: FAILED naming the file's line; the pod exits 0."""
    folder = tmp_path / "baddata"
    folder.mkdir()
    (folder / "BAD.csv").write_text(
        "Date,Open,High,Low,Close,Volume\n2020-01-02,10,11,9,10,5\n2020-01-03,10,9,9,10,5\n"
    )
    entry = {"file": "BAD.csv", "name": "Bad", "synthetic": True, "description": "test"}
    (folder / "catalog.json").write_text(json.dumps({"BAD": entry}))
    request = parse_request(
        {"ticker": "BAD", "rule_type": "RSI", "start_date": "2020-01-01", "end_date": "2020-12-31"}
    )
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name)
    enqueue_run(queue, request)
    proc = consumer(env, DATA_DIR=str(folder))
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    failed = stored_run(sessions, request.run_id)
    assert failed.status == RunStatus.FAILED
    assert "line 3" in failed.error_message and "Traceback" not in failed.error_message


def test_a_duplicate_delivery_of_a_finished_run_does_not_change_its_result(env, sessions, queue):
    """The same run delivered again after SUCCEEDED is skipped: result and times unchanged."""
    run_id = submit(sessions, queue)
    assert finish(consumer(env))[0] == 0
    before = stored_run(sessions, run_id)
    assert before.status == RunStatus.SUCCEEDED

    queue.connection.delete(f"rq:job:{run_id}")  # its hash expired (result_ttl)
    enqueue_run(queue, parse_request(json.loads(before.request_json), strict=False))
    proc = consumer(env)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    after = stored_run(sessions, run_id)
    assert "duplicate or late delivery ignored" in out
    assert (after.status, after.result_json, after.completed_at, after.attempts) == (
        before.status,
        before.result_json,
        before.completed_at,
        before.attempts,
    )


def _start_and_freeze(env, sessions, queue, slow_data, claim: Path):
    """Start a consumer on a SLOW run and stop (SIGSTOP) it as soon as the run is RUNNING."""
    run_id = submit(
        sessions, queue, ticker="SLOW", start_date="1940-01-01", end_date="2000-01-01", charts=True
    )
    proc = consumer(env, DATA_DIR=str(slow_data), CLAIM_FILE=str(claim), **SHORT_MARGIN)
    wait_until(
        lambda: stored_run(sessions, run_id).status == RunStatus.RUNNING, 30, 0.01, what="RUNNING"
    )
    signal_pod(proc, signal.SIGSTOP)
    assert stored_run(sessions, run_id).status == RunStatus.RUNNING, "frozen mid-run"
    return run_id, proc


def test_a_killed_work_horse_is_retried_at_once_and_the_run_succeeds(
    env, sessions, queue, slow_data, tmp_path
):
    """SIGKILL on the forked work-horse (an OOM kill): the parent records it, RQ re-queues the
    run, the consumer still exits 0, and the next consumer finishes it (attempt 2)."""
    run_id, proc = _start_and_freeze(env, sessions, queue, slow_data, tmp_path / "c1")
    (horse,) = children(proc.pid)
    os.kill(horse, signal.SIGKILL)
    signal_pod(proc, signal.SIGCONT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert queue.connection.lrange(f"rq:queue:{env['RQ_QUEUE']}", 0, -1) == [run_id.encode()]
    assert stored_run(sessions, run_id).status == RunStatus.RUNNING

    second = consumer(env, DATA_DIR=str(slow_data), CLAIM_FILE=str(tmp_path / "c2"))
    code, out = finish(second)
    assert code == 0, out
    done = stored_run(sessions, run_id)
    assert (done.status, done.attempts) == (RunStatus.SUCCEEDED, 2), (done.error_message, out)


def _kill_pod(proc: subprocess.Popen) -> None:
    signal_pod(proc, signal.SIGKILL)  # the whole pod: parent and work-horse
    finish(proc, timeout=10)


def _reap_until(env, sessions, predicate, what: str):
    connection = Redis.from_url(env["REDIS_URL"])

    def step():
        connection.delete(f"rq:clean_registries:{env['RQ_QUEUE']}")  # a worker's lock
        reap(connection, sessions, env["RQ_QUEUE"])
        return predicate()

    return wait_until(step, 150, interval=0.5, what=what)


@pytest.mark.slow
def test_a_killed_consumer_is_retried_once_by_the_reaper_then_failed_if_killed_again(
    env, sessions, queue, slow_data, tmp_path, monkeypatch
):
    """Pod lost mid-run: the reaper re-queues it once (never stuck RUNNING); lost again, the
    reaper fails it with a clear message. The reaper's waits are RQ's heartbeat expiry
    (2 s + ``SHORT_MARGIN``'s 5 s), twice."""
    # The reaper's grace for a run that just started (its job being registered) is not what
    # this test is about: the retry that dies is FAILED as soon as RQ fails its job.
    monkeypatch.setattr(reaper, "RUNNING_GRACE", timedelta(0))
    run_id, proc = _start_and_freeze(env, sessions, queue, slow_data, tmp_path / "c1")
    _kill_pod(proc)
    key = f"rq:queue:{env['RQ_QUEUE']}"
    _reap_until(env, sessions, lambda: queue.connection.llen(key) == 1, "the retry")
    assert stored_run(sessions, run_id).status == RunStatus.RUNNING

    retry = consumer(env, DATA_DIR=str(slow_data), CLAIM_FILE=str(tmp_path / "c2"), **SHORT_MARGIN)
    wait_until(lambda: stored_run(sessions, run_id).attempts == 2, 30, 0.01, what="attempt 2")
    signal_pod(retry, signal.SIGSTOP)
    _kill_pod(retry)
    _reap_until(
        env, sessions, lambda: stored_run(sessions, run_id).status == RunStatus.FAILED, "FAILED"
    )
    failed = stored_run(sessions, run_id)
    assert failed.error_message == CRASHED and failed.completed_at is not None
    assert queue.connection.llen(key) == 0


@pytest.mark.slow
def test_a_killed_consumer_whose_retry_succeeds_ends_succeeded(
    env, sessions, queue, slow_data, tmp_path
):
    """Pod lost mid-run, reaper re-queues it, the next consumer finishes: SUCCEEDED, attempt 2."""
    run_id, proc = _start_and_freeze(env, sessions, queue, slow_data, tmp_path / "c1")
    _kill_pod(proc)
    key = f"rq:queue:{env['RQ_QUEUE']}"
    _reap_until(env, sessions, lambda: queue.connection.llen(key) == 1, "the retry")
    retry = consumer(env, DATA_DIR=str(slow_data), CLAIM_FILE=str(tmp_path / "c2"))
    assert finish(retry)[0] == 0
    done = stored_run(sessions, run_id)
    assert done.status == RunStatus.SUCCEEDED and done.attempts == 2


def test_an_operators_math_thread_setting_wins_over_the_jobs_default():
    """The Job sets one math thread only where the environment says nothing."""
    from consumer.__main__ import use_one_math_thread

    environ = {"OPENBLAS_NUM_THREADS": "4"}
    use_one_math_thread(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "4", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@pytest.mark.parametrize(
    ("margin", "timeout", "worked", "ttl"),
    [
        (None, 900, 0.0, 2 + 60),  # RQ's own margin unless set
        ("5", 900, 0.0, 2 + 5),
        ("5", 900, 899.5, 0 + 5),  # the item's timeout comes before the next beat
        ("5", -1, 5000.0, 2 + 5),  # no timeout
    ],
)
def test_rq_calls_an_item_abandoned_the_heartbeat_margin_after_its_next_beat_was_due(
    monkeypatch, margin, timeout, worked, ttl
):
    """Each beat sets the item's started-registry deadline to the time until the next beat
    (RQ_JOB_MONITORING_INTERVAL, or the item's timeout if sooner) plus RQ_HEARTBEAT_MARGIN:
    the reaper recovers a dead consumer's item that long after its last beat."""
    from consumer.worker import OneShotWorker

    if margin is None:
        monkeypatch.delenv("RQ_HEARTBEAT_MARGIN", raising=False)
    else:
        monkeypatch.setenv("RQ_HEARTBEAT_MARGIN", margin)
    worker = OneShotWorker(["q"], connection=Redis(), job_monitoring_interval=2)
    worker.current_job_working_time = worked
    job = Job.create("consumer.jobs.run_backtest", connection=worker.connection, timeout=timeout)
    assert worker.get_heartbeat_ttl(job) == ttl


def test_a_job_pins_numpys_loops_and_openblas_kernels_on_a_cpu_with_avx2_and_fma_only(tmp_path):
    """numpy without its AVX-512 loops and OpenBLAS's Haswell kernels where the CPU's flags
    have AVX2 and FMA and the operator set neither; another CPU, or an unreadable cpuinfo,
    keeps the libraries' own choices."""
    from consumer.__main__ import use_same_numerics

    def pinned(flags: str, environ: dict | None = None) -> dict:
        cpuinfo = tmp_path / "cpuinfo"
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
        environ = {} if environ is None else environ
        use_same_numerics(environ, str(cpuinfo))
        return environ

    both = {
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    }
    assert pinned("fpu sse2 avx fma avx2 avx512f") == both
    assert pinned("fpu sse2 avx fma avx2") == both
    assert pinned("fpu sse2 avx") == {}
    assert pinned("avx2 fma", {"OPENBLAS_CORETYPE": "Zen"}) == {**both, "OPENBLAS_CORETYPE": "Zen"}
    environ: dict = {}
    use_same_numerics(environ, str(tmp_path / "missing"))
    assert environ == {}


WEIGHTS_CHILD = """
import hashlib
import os
import sys
if sys.argv[1] == "job":
    from consumer.__main__ import use_same_numerics
    use_same_numerics()
import numpy as np
from engine.portfolio import risk
rng = np.random.default_rng(4)
returns = rng.integers(-100, 101, (63, 200)) / 1e4
weights = risk.min_variance(np.cov(returns.T))
print(os.environ.get("OPENBLAS_CORETYPE"), hashlib.sha256(weights.tobytes()).hexdigest())
"""


def test_a_jobs_risk_weights_are_openblas_haswell_kernels_whatever_the_cpu():
    """Min-variance weights of 200 tickers (a covariance's solves) in a process set up as
    a Job are those of OpenBLAS's Haswell kernels, not of the kernels it would pick for
    this CPU (on an AVX-512 CPU, SkylakeX: other last bits)."""
    from config.numerics import NEEDED_FLAGS, cpu_flags
    from tests.numpy_loops import printed_in_child

    if not cpu_flags() >= NEEDED_FLAGS:
        pytest.skip("this CPU has no AVX2 and FMA: OpenBLAS keeps its own kernels")
    job = printed_in_child(WEIGHTS_CHILD, ["job"]).split()  # no OPENBLAS_CORETYPE given
    haswell = printed_in_child(WEIGHTS_CHILD, ["plain"], baseline=True).split()
    assert haswell[0] == "Haswell"
    assert job == haswell
