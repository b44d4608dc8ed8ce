"""The walk-forward page's drawing in a real browser (Debian's chromium driven by
Playwright), on the app served over loopback with the walk-forward API's answers given by
``walkforward_answer`` (a hand-written document in the shape of docs/walkforward.md's
``GET /api/walkforward/<id>``): every chart and table is drawn from what the answer holds,
a choice parameter and a failed fold included, with no script error. The same page on the
whole platform is tests/web/test_browser_walkforward.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests import loopback
from tests.web.support import valid_walkforward
from tests.web.support_browser import page_error

pytestmark = [pytest.mark.browser]

FOLDS = 3
TRAIN, TEST = 40, 10
FIRST_BAR = datetime(2020, 1, 2, 21, tzinfo=UTC)


def bar_time(i: int) -> str:
    return (FIRST_BAR + timedelta(days=i)).isoformat()


def curve(first: int, count: int, start: float) -> dict:
    times = [bar_time(first + i) for i in range(count)]
    return {"timestamps": times, "equity": [start + 10.0 * i for i in range(count)]}


def walkforward_answer(walkforward_id: str, status: str = "SUCCEEDED") -> dict:
    """A finished rolling walk-forward of three folds over ``fast`` (a range), ``mode``
    (choices) and ``stop_loss_pct`` (a swept stop: off or 2); fold 2 has no eligible
    parameters when ``status`` is FAILED."""
    folds = []
    for k in range(FOLDS):
        train_first = k * TEST
        failed = status == "FAILED" and k == FOLDS - 1
        folds.append(
            {
                "fold": k,
                "status": "FAILED" if failed else "SUCCEEDED",
                "sweep_id": str(uuid.uuid4()),
                "train": {
                    "start": bar_time(train_first),
                    "end": bar_time(train_first + TRAIN - 1),
                    "bars": TRAIN,
                },
                "test": {
                    "start": bar_time(train_first + TRAIN),
                    "end": bar_time(train_first + TRAIN + TEST - 1),
                    "bars": TEST,
                },
                "params": None
                if failed
                else {
                    "fast": 5 + 5 * k,
                    "mode": ["a", "b", "a"][k],
                    "stop_loss_pct": [None, 2, None][k],
                },
                "train_metric": None if failed else 1.5 - 0.25 * k,
                "train_metrics": None,
                "test_metrics": None
                if failed
                else {"sharpe_ratio": 0.4, "total_return_pct": 2.0 - k, "max_drawdown_pct": 3.0},
                "test_trades": None if failed else 2 + k,
                "error_message": "no parameters had 1 trade" if failed else None,
            }
        )
    finished = status == "SUCCEEDED"
    return {
        "walkforward_id": walkforward_id,
        "status": status,
        "created_at": bar_time(0),
        "finished_at": bar_time(1),
        "error_message": None if finished else "fold 2: no parameters had 1 trade",
        "request": {
            "ticker": "ACME",
            "rule_type": "SMA_CROSS",
            "start_date": "2020-01-02",
            "end_date": "2020-12-31",
            "timeframe": "1d",
            "params": {},
            "grid": {"fast": "5:20:5", "mode": ["a", "b"], "stop_loss_pct": [None, 2]},
            "train_bars": TRAIN,
            "test_bars": TEST,
            "step_bars": TEST,
            "anchored": False,
            "metric": "sharpe_ratio",
            "min_trades": 1,
        },
        "data_hash": "0123456789abcdef",
        "engine_version": "1.1.0",
        "progress": {
            "folds": FOLDS,
            "folds_done": FOLDS if finished else FOLDS - 1,
            "combos_total": 24,
            "combos_done": 24,
        },
        "folds": folds,
        "oos": {
            "equity_curve": curve(TRAIN, FOLDS * TEST, 10_000.0),
            "benchmark": curve(TRAIN, FOLDS * TEST, 10_000.0),
            "in_sample": [{"fold": k, **curve(k * TEST, TRAIN, 9_000.0)} for k in range(FOLDS)],
            "metrics": {"total_return_pct": 3.0, "sharpe_ratio": 0.5, "max_drawdown_pct": 4.0},
        }
        if finished
        else None,
        "wfe": 0.61 if finished else None,
        "stability": {
            "fast": {"values": [5, 10, 15], "distinct": 3, "most_common": 5, "share": 1 / 3},
            "mode": {"values": ["a", "b", "a"], "distinct": 2, "most_common": "a", "share": 2 / 3},
            "stop_loss_pct": {
                "values": [None, 2, None],
                "distinct": 2,
                "most_common": None,
                "share": 2 / 3,
            },
        },
        "folds_csv_url": f"/api/walkforward/{walkforward_id}/folds.csv",
    }


@pytest.fixture
def served(app) -> Iterator[tuple[str, str]]:
    """The app (SQLite, the test Redis) on a loopback port, and the id of a walk-forward
    submitted to it (its page exists; the test answers its API with its own document)."""
    answer = app.test_client().post("/api/walkforward", json=valid_walkforward())
    assert answer.status_code == 202, answer.json
    with loopback.wsgi(app) as base_url:
        yield base_url, answer.json["walkforward_id"]


NOT_FOUND_LOG = "Failed to load resource: the server responded with a status of 404"
"""Chromium logs the API's 404 of an unknown id; the page handles it (says so)."""


def unexpected(message) -> bool:
    return page_error(message, NOT_FOUND_LOG)


@pytest.fixture
def page(browser) -> Iterator:
    """A page that records script errors; the test fails on any."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if unexpected(m) else None)
    yield page
    context.close()
    assert errors == []


def open_page(page, base_url: str, answer: dict) -> None:
    page.route(
        f"**/api/walkforward/{answer['walkforward_id']}", lambda route: route.fulfill(json=answer)
    )
    page.goto(f"{base_url}/walkforward/{answer['walkforward_id']}")
    expect(page.locator("body")).to_have_attribute("data-wf-status", answer["status"])


def test_a_finished_walkforward_draws_timeline_equity_table_stability_and_kpis(page, served):
    """Timeline (a bar pair per fold), equity with buy & hold and one dashed in-sample curve
    per fold, a row per fold linking its sweep, one stability chart per swept parameter,
    WFE and the OOS metrics, the folds.csv link."""
    base_url, walkforward_id = served
    answer = walkforward_answer(walkforward_id)
    open_page(page, base_url, answer)
    expect(page.locator("#wf-timeline")).to_have_attribute("data-ready", "1")
    expect(page.locator("#wf-equity")).to_have_attribute("data-ready", "1")
    legend = page.locator("#wf-equity .u-legend")
    for label in ["out-of-sample (stitched)", "buy & hold", "in-sample fold 0", "in-sample fold 2"]:
        expect(legend).to_contain_text(label)
    expect(page.locator("#wf-equity .u-axis")).to_have_count(2)
    expect(page.locator("#wf-equity")).to_have_attribute("data-axes", "time (UTC) | equity ($)")
    expect(page.locator("#wf-timeline .u-legend")).to_contain_text("train window (bars)")
    expect(page.locator("#wf-timeline")).to_have_attribute("data-axes", "time (UTC) | fold")
    rows = page.locator("#wf-folds tbody tr")
    expect(rows).to_have_count(FOLDS)
    first_sweep = answer["folds"][0]["sweep_id"]
    expect(rows.first.locator("a")).to_have_attribute("href", f"/sweeps/{first_sweep}")
    expect(rows.nth(1)).to_contain_text("2020-01-12 → 2020-02-20 · 40")
    expect(page.locator("#wf-stability [data-param]")).to_have_count(3)
    stop = page.locator("#wf-stability-stop_loss_pct")
    expect(stop).to_have_attribute("data-axes", "fold | stop_loss_pct")
    expect(stop.locator(".u-legend")).to_contain_text("stop_loss_pct chosen")
    expect(rows.first.locator("td").nth(6)).to_have_text("off")  # its stop_loss_pct
    expect(page.locator("#wf-stability-fast")).to_have_attribute(
        "data-axes", "fold | fast (grid 5 … 20)"
    )
    expect(page.locator('#wf-stability [data-param="mode"]')).to_contain_text(
        "most common a in 67% of folds"
    )
    expect(page.locator('[data-kpi="WFE"]')).to_contain_text("0.61")
    expect(page.locator('[data-kpi="OOS Total return"]')).to_contain_text("3.00%")
    expect(page.locator("#folds-csv")).to_have_attribute("href", answer["folds_csv_url"])
    expect(page.locator("#wf-bar")).to_have_text("100%")


def test_a_failed_walkforward_shows_its_error_and_the_failed_fold_without_oos(page, served):
    """FAILED: the error above, the failed fold's row marked, no OOS curve (none stitched)."""
    base_url, walkforward_id = served
    answer = walkforward_answer(walkforward_id, status="FAILED")
    open_page(page, base_url, answer)
    expect(page.locator("#wf-message")).to_have_text("fold 2: no parameters had 1 trade")
    expect(page.locator("#wf-folds tbody tr.bt-fold-failed")).to_have_count(1)
    expect(page.locator("#wf-equity")).not_to_have_attribute("data-ready", "1")
    expect(page.locator('[data-kpi="WFE"]')).to_contain_text("—")


def test_a_walkforward_gone_since_the_page_opened_says_so_and_stops_polling(page, served):
    """The API answers 404 (deleted since the page was served): the page names the id and
    asks no more."""
    base_url, walkforward_id = served
    asked: list[str] = []

    def not_found(route):
        asked.append(route.request.url)
        route.fulfill(status=404, json={"error": "walk-forward not found"})

    page.route(f"**/api/walkforward/{walkforward_id}", not_found)
    page.goto(f"{base_url}/walkforward/{walkforward_id}")
    expect(page.locator("body")).to_have_attribute("data-wf-status", "NOT_FOUND")
    expect(page.locator("#wf-message")).to_contain_text(walkforward_id)
    page.wait_for_timeout(2500)
    assert len(asked) == 1
