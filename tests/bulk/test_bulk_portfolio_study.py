"""``python -m scripts.bulk_study --portfolio FILE`` against the real app on loopback
(SQLite, real Redis, the shipped demo data; batches executed in-process as a Job does): the
file's portfolio request is the study's base, the study is waited for and its best trials
printed headed by the searched names; a file that is not one request is a usage error, a
refused base prints its field, and neither --rule nor --portfolio is a usage error."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from scripts import bulk_study
from scripts.bulk_client import EXIT_OK, EXIT_REJECTED, EXIT_USAGE
from store.models import Study
from tests.bulk.support import when_recorded
from tests.client.test_client_studies import drain
from tests.portfolios.support import valid_portfolio

pytestmark = pytest.mark.redis

SPACE = ["--space", "n=5:60", "--space", "top_n=1:3"]


def _write(tmp_path: Path, content) -> Path:
    path = tmp_path / "base.json"
    path.write_text(json.dumps(content))
    return path


def _drain_when_submitted(app) -> threading.Thread:
    """A thread that executes the first study's batches, as consumers would."""
    return when_recorded(app, Study.study_id, lambda found: drain(app, found))


def test_a_portfolio_file_is_the_base_of_a_study_waited_for_and_reported(
    demo_portfolio_app, demo_api_url, tmp_path
):
    path = _write(tmp_path, valid_portfolio(end_date="2019-12-31"))
    worker = _drain_when_submitted(demo_portfolio_app)
    out = io.StringIO()
    arguments = ["--url", demo_api_url, "--portfolio", str(path), *SPACE, "--trials", "6",
                 "--batch-size", "3", "--sampler", "random", "--poll", "0.1"]  # fmt: skip
    code = bulk_study.main(arguments, out)
    worker.join(timeout=60)
    assert code == EXIT_OK, out.getvalue()
    header = next(line for line in out.getvalue().splitlines() if line.strip().startswith("trial"))
    assert header.split() == ["trial", "n", "top_n", "sharpe_ratio"]


def test_a_refused_base_prints_its_field(demo_api_url, tmp_path):
    path = _write(tmp_path, valid_portfolio(tickers=["ACME", "NOPE"]))
    out = io.StringIO()
    code = bulk_study.main(["--url", demo_api_url, "--portfolio", str(path), *SPACE], out)
    assert code == EXIT_REJECTED
    assert "base.tickers[1]" in out.getvalue()


def test_a_file_of_two_requests_is_a_usage_error(tmp_path):
    path = _write(tmp_path, [valid_portfolio(), valid_portfolio()])
    out = io.StringIO()
    code = bulk_study.main(["--url", "http://127.0.0.1:9", "--portfolio", str(path), *SPACE], out)
    assert code == EXIT_USAGE


def test_a_study_without_rule_or_portfolio_is_a_usage_error():
    with pytest.raises(SystemExit) as stopped:
        bulk_study.main(["--url", "http://127.0.0.1:9", *SPACE])
    assert stopped.value.code == EXIT_USAGE
