"""``scripts.demo`` against a stand-in of the platform's API on loopback: a queue that answers
503 (Redis away) is waited out, a refused submission ends with one clear line (the demo
crashed with KeyError 'queued' / 'run_id'), and a run on the demo's own embedded stack
prints no dashboard link to a platform it is about to stop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from scripts import demo
from tests import loopback

RUN_ID = "5b0b7b9e-5a4e-4c7a-9b1e-000000000001"


class StandIn:
    """What the stand-in answers: ``queue_503s`` 503s of GET /api/queue before a 200, and
    POST /run_backtest with ``submit_status``."""

    def __init__(self, queue_503s: int = 0, submit_status: int = 202) -> None:
        self.queue_503s = queue_503s
        self.submit_status = submit_status
        self.submitted: list[str] = []


@contextmanager
def stand_in(state: StandIn) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            if state.submit_status != 202:
                self._answer(state.submit_status, {"error": "queue unavailable; retry"})
                return
            run_id = f"{RUN_ID[:-4]}{len(state.submitted):04d}"
            state.submitted.append(run_id)
            self._answer(202, {"run_id": run_id, "status": "PENDING"})

        def do_GET(self) -> None:
            if self.path.startswith("/api/queue"):
                if state.queue_503s > 0:
                    state.queue_503s -= 1
                    self._answer(503, {"error": "queue unavailable"})
                else:
                    self._answer(200, {"queued": 0, "consumers": 0})
            elif self.path.startswith("/status/"):  # the status-only form the demo polls
                run_id = self.path.split("/")[2].split("?")[0]
                result_url = f"/runs/{run_id}/result.json"
                self._answer(200, {"status": "SUCCEEDED", "result_url": result_url})
            elif self.path.startswith("/runs/"):
                result = {"trades": [], "data_hash": "0" * 64, "engine_version": "1.0.0"}
                self._answer(200, {**result, "metrics": {}})
            elif self.path.startswith("/api/runs/lookup"):
                runs = [{"run_id": r, "status": "SUCCEEDED"} for r in state.submitted]
                self._answer(200, {"runs": runs})
            else:
                self._answer(404, {"error": "not found"})

    with loopback.handler(Handler) as url:
        yield url


def test_a_queue_answering_503_is_waited_out_and_the_demo_finishes(tmp_path: Path, capsys):
    state = StandIn(queue_503s=3)
    with stand_in(state) as base:
        code = demo.autoscale(base, 2, tmp_path / "chart.png", None, poll=0.01)
    out = capsys.readouterr().out
    assert code == 0 and (tmp_path / "chart.png").exists()
    assert out.count("queue unavailable: 503 queue unavailable") == 3
    assert "2 runs done" in out


def test_a_refused_submission_ends_with_one_clear_line_not_a_traceback(tmp_path: Path):
    with stand_in(StandIn(submit_status=503)) as base, pytest.raises(SystemExit) as stopped:
        demo.autoscale(base, 2, tmp_path / "chart.png", None, poll=0.01)
    assert str(stopped.value) == (
        "POST /run_backtest answered 503: queue unavailable; retry (0 of 2 runs submitted)"
    )


def test_a_queue_that_stays_away_ends_the_demo_with_a_clear_line(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(demo, "QUEUE_PATIENCE_S", 0.05)
    with stand_in(StandIn(queue_503s=10**6)) as base, pytest.raises(SystemExit) as stopped:
        demo.autoscale(base, 1, tmp_path / "chart.png", None, poll=0.01)
    assert "the queue stayed unavailable" in str(stopped.value)


@pytest.mark.parametrize("embedded", [False, True])
def test_the_dashboard_link_is_printed_only_for_a_platform_that_keeps_running(embedded, capsys):
    with stand_in(StandIn()) as base:
        assert demo.run_scenario(base, embedded=embedded) == 0
    out = capsys.readouterr().out
    assert (f"dashboard: {base}/runs/" in out) is not embedded
    assert ("bash scripts/run-local.sh" in out) is embedded


def test_autoscale_draws_into_the_user_data_dir_not_the_docs(tmp_path: Path, monkeypatch):
    """``python -m scripts.demo autoscale`` without --out writes
    <USER_DATA_DIR>/demo/autoscaling.png: the tracked docs/images/autoscaling.png keeps its
    bytes and git status --porcelain is unchanged."""
    from tests.data.test_data_import_csv import PROJECT_ROOT, git_status

    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path))
    image = PROJECT_ROOT / "docs" / "images" / "autoscaling.png"
    before, shipped = git_status(), image.read_bytes()
    with stand_in(StandIn()) as base:
        assert demo.main(["--url", base, "autoscale", "--runs", "2", "--poll", "0.01"]) == 0
    assert (tmp_path / "demo" / "autoscaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.read_bytes() == shipped
    assert git_status() == before
