"""``python -m scripts.bulk_portfolio_walkforward`` (also ``bulk_submit portfolio_walkforward``)
against the real app on loopback (SQLite, real Redis, the shipped demo data; chunks and
folds executed in-process as their Jobs do): a file holding a walk-forward over a portfolio
is submitted, waited for and its fold table and out-of-sample metrics printed; a refusal
prints its field; a file that is no request is a usage error."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from scripts.bulk_client import EXIT_OK, EXIT_REJECTED, EXIT_USAGE
from scripts.bulk_portfolio_walkforward import main
from scripts.bulk_submit import main as bulk_submit_main
from store import dbapi
from store.models import WalkForward
from tests.bulk.support import when_recorded
from tests.stack import wait_until
from tests.walkforward.support import execute_walkforward_jobs, portfolio_walkforward

pytestmark = pytest.mark.redis

BODY = portfolio_walkforward()


def _write(tmp_path: Path, content) -> Path:
    path = tmp_path / "walk.json"
    path.write_text(json.dumps(content))
    return path


def test_a_walkforward_file_is_submitted_waited_for_and_its_folds_printed(
    demo_portfolio_app, demo_api_url, sqlite_url, tmp_path, monkeypatch
):
    monkeypatch.setitem(dbapi._PROCESS_DATABASES, os.getpid(), dbapi.Database(sqlite_url))
    out = io.StringIO()

    def execute_once_accepted(_found: str) -> None:
        # The row is written before the chunks are queued: the jobs are executed once the
        # command has printed the API's acceptance (every chunk queued by then), else a
        # loaded machine finds an empty queue and the command waits out its --timeout.
        wait_until(lambda: "folds ×" in out.getvalue(), 60, 0.05, what="the acceptance")
        execute_walkforward_jobs(demo_portfolio_app)

    worker = when_recorded(demo_portfolio_app, WalkForward.walkforward_id, execute_once_accepted)
    arguments = ["--url", demo_api_url, "--poll", "0.1", "--timeout", "120"]
    code = main([*arguments, str(_write(tmp_path, BODY))], out)
    worker.join(30)
    text = out.getvalue()
    assert code == EXIT_OK, text
    assert "3 folds × 4 combos" in text
    lines = text.splitlines()
    header = next(line.split() for line in lines if line.split()[:2] == ["fold", "test_start"])
    assert header[4:6] == ["n", "top_n"]
    folds = [line.split() for line in lines if line.split()[:1] in (["0"], ["1"], ["2"])]
    assert [fold[3] for fold in folds] == ["SUCCEEDED"] * 3
    assert "out of sample: total_return_pct" in text


def test_a_refused_walkforward_prints_its_field_and_exits_1(demo_api_url, tmp_path, capsys):
    path = _write(tmp_path, {**BODY, "train_bars": 5000})
    code = bulk_submit_main(
        ["--url", demo_api_url, "portfolio_walkforward", "--no-wait", str(path)]
    )
    assert code == EXIT_REJECTED
    assert "train_bars" in capsys.readouterr().out


def test_a_file_that_is_not_a_request_is_a_usage_error(tmp_path):
    assert main([str(_write(tmp_path, [1, 2]))]) == EXIT_USAGE
