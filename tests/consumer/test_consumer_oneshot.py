"""``python -m consumer --request FILE``: one request exactly as a Job runs it, no services."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.stack import PROJECT_ROOT

REQUEST = {
    "ticker": "INITECH",
    "rule_type": "MACD",
    "start_date": "2019-01-01",
    "end_date": "2020-12-31",
}
NO_SERVICES = {
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "DATABASE_URL": "mysql+pymysql://x@127.0.0.1:1/x",
}

pytestmark = pytest.mark.slow  # each test runs ``python -m consumer --request``


def oneshot(*args: str, stdin: str | None = None, tmp_path=None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", **NO_SERVICES}
    if tmp_path is not None:
        env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    return subprocess.run(
        [sys.executable, "-m", "consumer", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=120,
    )


def test_a_request_file_prints_the_result_json_and_exits_zero(tmp_path):
    """No Redis, no database: the result JSON on stdout with every contract field."""
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST))
    done = oneshot("--request", str(path), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "SUCCEEDED" and result["request"]["ticker"] == "INITECH"
    assert set(result["charts"]) == {
        "drawdown_curve_base64",
        "portfolio_orders_base64",
        "trade_pnl_base64",
        "cumulative_return_base64",
        "candles_base64",
    }
    assert result["run_id"] in done.stderr, "log lines carry the run_id"


def test_a_request_on_stdin_works_the_same(tmp_path):
    """FILE may be '-' for standard input."""
    done = oneshot("--request", "-", stdin=json.dumps({**REQUEST, "charts": False}))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["chart_base64"] is None


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "body: must be a JSON object"),
        (json.dumps({**REQUEST, "ticker": "NOPE"}), "ticker:"),
        (json.dumps({**REQUEST, "params": {"fast": 30, "slow": 26, "signal": 9}}), "params.fast"),
        (json.dumps({**REQUEST, "end_date": "2018-01-01"}), "end_date: must be on or after"),
        (json.dumps({**REQUEST, "timeframe": "4h"}), "timeframe"),
    ],
)
def test_a_bad_request_exits_2_with_one_line_naming_the_field(stdin, reason):
    """Exit 2, nothing on stdout, one line on stderr that says what is wrong."""
    done = oneshot("--request", "-", stdin=stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if line.startswith("bad request")]
    assert len(lines) == 1 and reason in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_exits_2():
    """An unreadable FILE is a bad request too."""
    done = oneshot("--request", "/nonexistent/request.json")
    assert done.returncode == 2 and "cannot read" in done.stderr
