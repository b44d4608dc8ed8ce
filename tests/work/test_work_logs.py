"""work/logs.py: LOG_FORMAT=json writes one JSON object per line with the run_id bound by
``run_context`` as a field (and the traceback of an exception); text stays the default; an
unknown format is refused at start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.stack import PROJECT_ROOT

SCRIPT = """
import logging
from work.logs import configure_logging, run_context
configure_logging()
log = logging.getLogger("demo")
with run_context("0b7c2f6e-1111-4222-8333-444455556666"):
    log.info("running %s", "quoted \\"text\\"")
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("it raised")
log.warning("outside")
"""


def logs(log_format: str | None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)}
    if log_format is not None:
        env["LOG_FORMAT"] = log_format
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


def test_json_lines_parse_and_carry_the_run_id_as_a_field():
    result = logs("json")
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    running, raised, outside = entries
    assert running["run_id"] == raised["run_id"] == "0b7c2f6e-1111-4222-8333-444455556666"
    assert running["message"] == 'running quoted "text"'
    assert (running["level"], running["logger"]) == ("INFO", "demo")
    assert running["time"].endswith("Z") and "T" in running["time"]
    assert "ZeroDivisionError" in raised["exc_info"] and raised["level"] == "ERROR"
    assert outside["run_id"] == "-"
    assert len(result.stderr.splitlines()) == 3, "each traceback stays inside its own line"


def test_text_is_the_default_and_names_the_run_inline():
    result = logs(None)
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert "run_id=0b7c2f6e-1111-4222-8333-444455556666 running" in first
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)


def test_an_unknown_log_format_is_refused_at_start_up():
    result = logs("xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be one of text, json" in result.stderr


def test_the_web_settings_refuse_an_unknown_log_format():
    from pydantic import ValidationError

    from config import settings_from

    with pytest.raises(ValidationError, match="log_format"):
        settings_from({"LOG_FORMAT": "xml"})
    assert settings_from({"LOG_FORMAT": "json"}).log_format == "json"
