"""A study's page in a real browser (Debian's chromium driven by Playwright) in the states a
quick study run never shows: paused, with a trial still running and a FAIL trial asked
again. The app is served on loopback with no consumer: the study is submitted (its batches
wait on the queue), paused through the API, and its trials are stored as a batch would."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import expect

from store.clock import utcnow
from store.models import StudyTrial
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import recording_page
from web.db import get_database

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


TRIALS = (  # number, state, params, values, retried_as, reused_from (a trial number)
    (0, "FAIL", {"fast": 12, "slow": 60, "stop_loss_pct": 4.123456789}, None, 2, None),
    (1, "COMPLETE", {"fast": 20, "slow": 90, "stop_loss_pct": 9.5}, [0.25], None, None),
    (2, "COMPLETE", {"fast": 12, "slow": 60, "stop_loss_pct": 4.123456789}, [0.5], None, None),
    (3, "RUNNING", {"fast": 8, "slow": 110, "stop_loss_pct": 2.0}, None, None, None),
    (4, "COMPLETE", {"fast": 20, "slow": 90, "stop_loss_pct": 9.5}, [0.25], None, 1),
)
"""Trial 0's batch died and its params were asked again as trial 2; trial 3 is running;
trial 4 asked trial 1's point again and copied its metrics (reused)."""


def _store_trials(app: Flask, study_id: str) -> None:
    with get_database(app).sessionmaker.begin() as session:
        for number, state, params, values, retried_as, reused in TRIALS:
            session.add(
                StudyTrial(
                    study_id=study_id, number=number, batch_id=f"{study_id}-b0", state=state,
                    params_json=json.dumps(params),
                    values_json=None if values is None else json.dumps(values),
                    metrics_json=None if values is None else json.dumps({"num_trades": 4}),
                    retried_as=retried_as, started_at=utcnow(),
                    reused_from=None if reused is None else f"{study_id}#{reused}",
                )
            )  # fmt: skip


@pytest.fixture
def served(sqlite_url, redis_url, demo_data_dir) -> Iterator[tuple[str, str]]:
    """(base URL, id of a paused ACME SMA_CROSS study holding ``TRIALS``)."""
    app = app_with_schema(sqlite_url, redis_url, demo_data_dir)
    client = app.test_client()
    body = {
        "ticker": "ACME", "rule_type": "SMA_CROSS", "start_date": "2018-01-01",
        "end_date": "2020-12-31", "n_trials": 40,
        "space": {"fast": {"low": 5, "high": 30}, "slow": {"low": 40, "high": 120},
                  "stop_loss_pct": {"low": 1, "high": 10}},
    }  # fmt: skip
    answer = client.post("/api/studies", json=body)
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    assert client.post(f"/api/studies/{study_id}/pause").status_code == 200
    _store_trials(app, study_id)
    with on_loopback(app) as base_url:
        yield base_url, study_id


def test_a_paused_study_shows_its_running_retried_and_reused_trials(served, browser):
    """Paused, one trial running, one FAIL asked again and one reused: said beside the
    progress, Resume offered instead of Pause, the FAIL row naming its retry, the reused row
    marked ↺ with its source, the best trial the retry with its float rounded as in the
    table."""
    base_url, study_id = served
    page = recording_page(browser)
    page.goto(f"{base_url}/studies/{study_id}")
    other = page.locator("#study-other")
    for text in ("paused", "1 running", "1 failed (asked again)", "1 reused ↺"):
        expect(other).to_contain_text(text)
    expect(page.locator("#study-resume")).to_be_visible()
    expect(page.locator("#study-pause")).to_be_hidden()
    expect(page.locator("#study-done")).to_have_text("3 / 40 trials done")
    expect(page.locator('#study-trials tr[data-trial="0"]')).to_contain_text("FAIL → #2")
    reused = page.locator('#study-trials tr[data-trial="4"] td').nth(1)
    expect(reused).to_have_text("COMPLETE ↺")
    expect(reused).to_have_attribute(
        "title", f"not evaluated again: the metrics of trial {study_id}#1"
    )
    expect(page.locator('#study-trials tr[data-trial="2"]')).to_have_class("bt-best")
    best = page.locator("#study-best")
    expect(best).to_contain_text("best trial #2: 0.50")
    expect(best).to_contain_text("fast=12 slow=60 stop_loss_pct=4.1235")
    expect(best).not_to_contain_text("4.123456789")
    expect(page.locator("#study-trials [data-run-trial]")).to_have_count(3)  # the complete ones
    expect(page.locator("#study-history")).to_have_attribute(
        "data-axes", "trial | Sharpe (maximize)"
    )
    page.context.close()
    assert page.errors == []
