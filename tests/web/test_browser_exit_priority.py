"""``exit_priority`` in the run form, in a real browser (Debian's chromium driven by
Playwright, the ``stack`` fixture's web and consumers): an EXPR rule whose entry is a state
(``close > sma(close, $fast)``) and whose exit is a time exit (``bars_held >= $hold``), so
the exit falls due on bars where the entry still holds. Ticking **Exit priority** sends
``exit_priority: true`` to the server's live check and to the submission; the stored
request holds it, the run page's header and its provenance say so, and every trade the time
exit closed was held its ``$hold`` bars from its fill. "Edit & run" and a preset bring the
box back ticked, and unticked it sends nothing (the request the form sent before the
field existed).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web import test_browser_dashboard as dashboard
from tests.web.test_browser_entry_orders import type_into

watched = dashboard.watched  # the fixture of the dashboard's browser tests, used here too

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

HOLD = 5
"""The time exit's ``$hold``: out at the open after the fill bar's close + 5."""

STRATEGY = (
    ("ticker", "ACME"),
    ("start_date", "2023-01-01"),
    ("end_date", "2024-06-30"),
    ("rule_type", "EXPR"),
    ("params.entry", "close > sma(close, $fast)"),
    ("params.exit", "bars_held >= $hold"),
    ("params.fast", "20"),
    ("params.hold", str(HOLD)),
)
"""The form's fields (``data-field``) and what is typed into each, in order."""

BOX = "#run-form [data-field='exit_priority']"


def collected(page) -> dict:
    """The request body the form describes now."""
    return page.evaluate("RunForm.collect()")


def sends_exit_priority(request) -> bool:
    """Whether ``request`` is the form's live check of a body with ``exit_priority: true``."""
    if not request.url.endswith("/api/schema/run/validate"):
        return False
    return (request.post_data_json or {}).get("exit_priority") is True


def test_exit_priority_ticked_in_the_form_is_checked_live_submitted_stored_and_shown(
    watched, stack
):
    page = watched.page
    dashboard.open_form(page, stack)
    expect(page.locator(BOX)).not_to_be_checked()
    assert "exit_priority" not in collected(page)
    for field, value in STRATEGY:
        type_into(page, field, value)
    with page.expect_request(sends_exit_priority):  # the server's live check sees it
        page.check(BOX)
    expect(page.locator("#run-form .is-invalid")).to_have_count(0)
    expect(page.locator("#form-error")).to_be_hidden()
    assert collected(page)["exit_priority"] is True

    _, status = dashboard.submit_form(page, stack)
    assert status["request"]["exit_priority"] is True
    assert status["request"]["params"]["hold"] == HOLD
    expect(page.locator("#run-exit-priority")).to_have_text("exit priority")
    expect(page.locator("#prov-request")).to_contain_text('"exit_priority": true')
    result = status["result"]
    bar_of = {stamp: i for i, stamp in enumerate(result["price_candles"]["timestamps"])}
    timed = [t for t in result["trades"] if t["exit_reason"] == "signal"]
    held = [bar_of[t["exit_timestamp"]] - bar_of[t["entry_timestamp"]] for t in timed]
    assert len(held) >= 3 and set(held) == {HOLD + 1}, held  # out when due, entry or not

    page.click("#edit-run")  # "Edit & run": the form from the stored request
    page.wait_for_selector("#run-form[data-ready='1']")
    expect(page.locator(BOX)).to_be_checked()
    assert collected(page)["exit_priority"] is True
    page.uncheck(BOX)
    assert "exit_priority" not in collected(page)


def test_a_preset_brings_exit_priority_back_and_defaults_clear_it(watched, stack):
    page = watched.page
    dashboard.open_form(page, stack)
    for field, value in STRATEGY:
        type_into(page, field, value)
    page.check(BOX)
    page.fill("#preset-name", "exit first")
    page.click("#preset-save")
    expect(page.locator("#preset-status")).to_have_text('saved "exit first"')

    page.click("#reset-form")
    expect(page.locator(BOX)).not_to_be_checked()
    assert "exit_priority" not in collected(page)
    page.select_option("#preset-select", label="exit first")
    page.click("#preset-load")
    expect(page.locator(BOX)).to_be_checked()
    assert collected(page)["exit_priority"] is True
    page.click("#preset-delete")
    page.click("#preset-delete")
