"""``python -m scripts.bulk_portfolio`` (also ``bulk_submit portfolio``) against the real
app on loopback (SQLite, real Redis, the shipped demo data; the item computed in-process by
the kind's own code, as a Job would): a request file is submitted, waited for and its
metrics printed against the benchmark; a refusal prints the field; a file that is no
request is a usage error."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from scripts.bulk_client import EXIT_OK, EXIT_REJECTED, EXIT_USAGE
from scripts.bulk_submit import main as bulk_submit_main
from store.models import Portfolio
from tests.bulk.support import when_recorded
from tests.portfolios.support import execute_item, valid_portfolio
from web.db import get_database

pytestmark = pytest.mark.redis


def _write(tmp_path: Path, content) -> Path:
    path = tmp_path / "portfolio.json"
    path.write_text(json.dumps(content))
    return path


def _execute_when_submitted(app) -> threading.Thread:
    """A thread that computes the first portfolio recorded, as a consumer would."""
    return when_recorded(app, Portfolio.portfolio_id, lambda found: execute_item(app, found))


def test_a_request_file_is_submitted_waited_for_and_its_metrics_printed(
    demo_portfolio_app, demo_api_url, tmp_path
):
    """Exit 0; the output names the portfolio and has a portfolio and a benchmark row."""
    path = _write(tmp_path, valid_portfolio())
    worker = _execute_when_submitted(demo_portfolio_app)
    out = io.StringIO()
    from scripts.bulk_portfolio import main

    code = main(["--url", demo_api_url, "--poll", "0.1", str(path)], out)
    worker.join(30)
    text = out.getvalue()
    assert code == EXIT_OK, text
    assert "portfolio " in text and "4 tickers" in text
    rows = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert "portfolio" in rows and "benchmark" in rows


def test_a_refused_request_prints_its_field_and_exits_1(demo_api_url, tmp_path, capsys):
    """Through ``bulk_submit portfolio``: the API's 400 names tickers[1]."""
    path = _write(tmp_path, [valid_portfolio(tickers=["ACME", "NOPE"])])
    code = bulk_submit_main(["--url", demo_api_url, "portfolio", "--no-wait", str(path)])
    assert code == EXIT_REJECTED
    assert "tickers[1]" in capsys.readouterr().out


def test_no_wait_submits_and_exits_0_leaving_it_pending(demo_portfolio_app, demo_api_url, tmp_path):
    """--no-wait: accepted, recorded PENDING, not waited for."""
    from scripts.bulk_portfolio import main

    path = _write(tmp_path, valid_portfolio())
    assert main(["--url", demo_api_url, "--no-wait", str(path)], io.StringIO()) == EXIT_OK
    with get_database(demo_portfolio_app).sessionmaker() as session:
        assert [row.status for row in session.scalars(select(Portfolio))] == ["PENDING"]


def test_a_file_that_is_not_a_request_is_a_usage_error(tmp_path):
    """A JSON number is no request: exit 2 before anything is sent."""
    from scripts.bulk_portfolio import main

    assert main(["--url", "http://127.0.0.1:1", str(_write(tmp_path, 7))]) == EXIT_USAGE


def test_a_portfolio_sweep_file_is_submitted_waited_for_and_its_top_points_printed(
    demo_portfolio_app, demo_api_url, tmp_path
):
    """Exit 0 through ``bulk_submit portfolio_sweep``; the top table has a row per point with
    the searched names as columns."""
    from tests.sweeps.support import compute_queued_chunks

    body = {
        "kind": "portfolio",
        "base": valid_portfolio(),
        "grid": {"n": [10, 30], "top_n": [1, 2]},
    }
    path = _write(tmp_path, body)

    def work() -> None:
        for _ in range(200):
            if compute_queued_chunks(demo_portfolio_app):
                return
            time.sleep(0.05)

    worker = threading.Thread(target=work)
    worker.start()
    out = io.StringIO()
    from scripts.bulk_portfolio_sweep import main

    code = main(["--url", demo_api_url, "--poll", "0.1", "--top", "4", str(path)], out)
    worker.join(30)
    text = out.getvalue()
    assert code == EXIT_OK, text
    assert "4 combos in 1 chunks" in text
    lines = text.splitlines()
    header = next(line.split() for line in lines if line.split()[:2] == ["#", "ticker"])
    assert header[2:4] == ["n", "top_n"]
    assert sum(1 for line in lines if "UNIVERSE" in line) == 4


def test_a_refused_portfolio_sweep_prints_its_field_and_exits_1(demo_api_url, tmp_path, capsys):
    body = {"kind": "portfolio", "base": valid_portfolio(), "grid": {"zz": [1]}}
    path = _write(tmp_path, body)
    code = bulk_submit_main(["--url", demo_api_url, "portfolio_sweep", "--no-wait", str(path)])
    assert code == EXIT_REJECTED
    assert "grid.zz" in capsys.readouterr().out
