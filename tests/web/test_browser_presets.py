"""The run form's presets in a real browser (Debian's chromium driven by Playwright): saving
under a name the viewer already has asks "Overwrite" and then replaces that preset (PUT),
"Update" replaces the selected preset with the form, the API's errors show under the
controls; in AUTH_MODE=token a preset can be shared with the team, and another user's
shared preset is listed as theirs, read-only, with no update or delete.

The app is served on loopback from a thread (SQLite and the test Redis; no consumer: no run
is submitted). Screenshots go to the test's temporary directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.web.support import app_with_schema, on_loopback
from tests.web.support_auth import bearer, new_token, token_app
from tests.web.support_browser import VIEWPORT, page_error, shoot, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

EXPECTED_CONSOLE = (
    "Failed to load resource: the server responded with a status of 400",
    "Failed to load resource: the server responded with a status of 409",
)
"""Chromium logs every 4xx answer; the page shows these under the preset controls."""


@pytest.fixture
def page(browser, sqlite_url, redis_url, data_dir) -> Iterator:
    """The run form of an AUTH_MODE=none app served on loopback; no script error, no dialog."""
    app = app_with_schema(sqlite_url, redis_url, data_dir)
    with on_loopback(app) as base_url:
        context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console: {message.text}")
                if page_error(message, EXPECTED_CONSOLE)
                else None
            ),
        )
        page.goto(f"{base_url}/")
        page.wait_for_selector("#run-form[data-ready='1']")
        yield page
        context.close()
        assert problems == []


def load(page, name: str, label: str | None = None) -> None:
    """Pick the preset listed as ``label`` (default: its name) and load it."""
    page.select_option("#preset-select", label=label or name)
    page.click("#preset-load")
    expect(page.locator("#preset-loaded")).to_have_text(name)


def test_saving_a_taken_name_asks_to_overwrite_then_replaces_the_preset(page, tmp_path: Path):
    """Save "swing" (RSI 21); period 30 and Save "swing" again: the 409 under the controls
    and an "Overwrite" button; its click replaces the preset (one "swing", period 30 after a
    reload). Without auth the list shows no owner and there is no share switch."""
    base_url = page.url.rstrip("/")
    page.select_option("#f-rule", "RSI")
    page.fill("[data-field='params.period']", "21")
    page.fill("#preset-name", "swing")
    page.click("#preset-save")
    expect(page.locator("#preset-status")).to_have_text('saved "swing"')

    page.fill("[data-field='params.period']", "30")
    page.fill("#preset-name", "  swing ")  # stored stripped: the same name
    page.click("#preset-save")
    expect(page.locator("#preset-error")).to_have_text(
        'a preset named "swing" already exists: click Overwrite to replace it with this form'
    )
    expect(page.locator("#preset-save")).to_have_text("Overwrite")
    shoot(page.locator("#presets"), tmp_path / "preset-overwrite.png")
    page.click("#preset-save")
    expect(page.locator("#preset-status")).to_have_text('updated "swing"')
    expect(page.locator("#preset-save")).to_have_text("Save current form")

    presets = requests.get(f"{base_url}/api/strategies", timeout=10).json()
    assert [(p["name"], p["payload"]["params"]["period"]) for p in presets] == [("swing", 30)]
    page.reload()
    page.wait_for_selector("#run-form[data-ready='1']")
    expect(page.locator("#preset-select option")).to_have_text(["swing"])
    assert page.locator("#preset-shared").count() == 0
    load(page, "swing")
    assert page.input_value("[data-field='params.period']") == "30"


def test_update_replaces_the_loaded_preset_and_errors_show_under_the_controls(page, tmp_path: Path):
    """Load a preset, change the form, "Update": replaced at once (period 14 after a reload);
    "Update" of a preset other than the one loaded asks to confirm first; an empty name's 400
    is shown naming its field."""
    base_url = page.url.rstrip("/")
    for name, period in (("alpha", "9"), ("beta", "11")):
        page.select_option("#f-rule", "RSI")
        page.fill("[data-field='params.period']", period)
        page.fill("#preset-name", name)
        page.click("#preset-save")
        expect(page.locator("#preset-status")).to_have_text(f'saved "{name}"')

    load(page, "alpha")
    page.fill("[data-field='params.period']", "14")
    page.click("#preset-update")
    expect(page.locator("#preset-status")).to_have_text('updated "alpha"')

    page.select_option("#preset-select", label="beta")
    page.click("#preset-update")
    expect(page.locator("#preset-update")).to_have_text("Confirm update")
    page.click("#preset-update")
    expect(page.locator("#preset-status")).to_have_text('updated "beta"')

    page.fill("#preset-name", "   ")
    page.click("#preset-save")
    expect(page.locator("#preset-error")).to_have_text("name: is required (a non-empty string)")
    shoot(page.locator("#presets"), tmp_path / "preset-error.png")

    periods = {
        p["name"]: p["payload"]["params"]["period"]
        for p in requests.get(f"{base_url}/api/strategies", timeout=10).json()
    }
    assert periods == {"alpha": 14, "beta": 14}
    page.reload()
    page.wait_for_selector("#run-form[data-ready='1']")
    load(page, "alpha")
    assert page.input_value("[data-field='params.period']") == "14"


def test_a_preset_shared_by_another_user_is_listed_as_theirs_and_read_only(
    browser, sqlite_url, redis_url, data_dir, tmp_path: Path
):
    """Alice saves "trend" with "Share with team" on; bob's list shows it as "trend — by
    alice, read-only" with Update and Delete disabled, he may load it, and saving his own
    "trend" makes a preset of his (names are unique per owner) that he may change."""
    app = token_app(sqlite_url, redis_url, data_dir)
    alice_token, bob_token = new_token(app, "alice"), new_token(app, "bob")
    with on_loopback(app) as base_url:
        alice = signed_in(browser, base_url, alice_token)
        bob = signed_in(browser, base_url, bob_token)
        try:
            alice.select_option("#f-rule", "RSI")
            alice.fill("[data-field='params.period']", "21")
            alice.check("#preset-shared")
            alice.fill("#preset-name", "trend")
            alice.click("#preset-save")
            expect(alice.locator("#preset-status")).to_have_text('saved "trend"')
            expect(alice.locator("#preset-select option")).to_have_text(["trend — shared"])
            (saved,) = requests.get(
                f"{base_url}/api/strategies", headers=bearer(alice_token), timeout=10
            ).json()
            assert (saved["created_by"], saved["shared"]) == ("alice", True)

            bob.reload()
            bob.wait_for_selector("#run-form[data-ready='1']")
            option = bob.locator("#preset-select option")
            expect(option).to_have_text(["trend — by alice, read-only"])
            expect(bob.locator("#preset-read-only")).to_have_text("shared by alice · read-only")
            expect(bob.locator("#preset-update")).to_be_disabled()
            expect(bob.locator("#preset-delete")).to_be_disabled()
            load(bob, "trend", "trend — by alice, read-only")
            assert bob.input_value("[data-field='params.period']") == "21"
            shoot(bob.locator("#presets"), tmp_path / "preset-read-only.png")

            bob.fill("[data-field='params.period']", "30")
            bob.fill("#preset-name", "trend")
            bob.click("#preset-save")
            expect(bob.locator("#preset-status")).to_have_text('saved "trend"')
            expect(option).to_have_text(["trend — by alice, read-only", "trend"])
            expect(bob.locator("#preset-update")).to_be_enabled()
            expect(bob.locator("#preset-read-only")).to_be_hidden()
            assert not bob.is_checked("#preset-shared")
        finally:
            alice.context.close()
            bob.context.close()
