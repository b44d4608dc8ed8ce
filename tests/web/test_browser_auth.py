"""The dashboard in AUTH_MODE=token in a real browser (Debian's chromium driven by Playwright):
a page sends the browser to the sign-in form, a wrong token is refused there, the right one
signs in, and the run form's submission (a script's fetch, carrying the page's CSRF token)
is accepted and recorded as created by the token; signing out ends the session.

The app is served on loopback from a thread (SQLite and the test Redis; no consumer, so the
run stays PENDING). Screenshots (the sign-in form, the accepted run) go to the test's
temporary directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.web.support import on_loopback
from tests.web.support_auth import bearer, new_token, token_app
from tests.web.support_browser import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def served(sqlite_url, redis_url, data_dir) -> Iterator[tuple[str, str]]:
    """(base URL, token of "alice") of an AUTH_MODE=token app served on loopback."""
    app = token_app(sqlite_url, redis_url, data_dir)
    token = new_token(app, "alice")
    with on_loopback(app) as base_url:
        yield base_url, token


def test_sign_in_then_submit_a_run_with_the_csrf_token(browser, served, tmp_path: Path):
    """/ → /login; wrong token refused; right token → the form, name in the navigation bar;
    the run submitted from the form is PENDING and created_by "alice"; sign out → /login."""
    base_url, token = served
    context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base_url}/")
        assert page.url == f"{base_url}/login?next=/"
        page.fill("#token", "bt_wrong")
        page.click("#signin-submit")
        assert page.text_content("#signin-error") == "Invalid or revoked token."
        page.fill("#token", token)
        page.screenshot(path=str(tmp_path / "auth-login.png"))
        page.click("#signin-submit")
        page.wait_for_selector("#run-form[data-ready='1']")
        assert page.url == f"{base_url}/"
        assert page.text_content("#signed-in-as") == "alice"

        page.select_option("#f-ticker", "TESTCO")
        page.fill("#f-start", "2021-02-01")
        page.fill("#f-end", "2021-05-31")
        page.select_option("#f-rule", "SMA_CROSS")
        page.fill("[data-field='params.fast']", "3")
        page.fill("[data-field='params.slow']", "8")
        with page.expect_response("**/run_backtest") as submitted:
            page.click("#submit-run")
        answer = submitted.value
        assert answer.status == 202
        assert answer.request.headers["x-csrf-token"]
        page.wait_for_selector("#progress-status")
        assert page.text_content("#progress-status") == "PENDING"
        page.screenshot(path=str(tmp_path / "auth-submitted.png"))

        status = requests.get(
            f"{base_url}{answer.json()['status_url']}", headers=bearer(token), timeout=10
        ).json()
        assert (status["status"], status["created_by"]) == ("PENDING", "alice")

        page.click("#signout-form button")
        page.wait_for_url(f"{base_url}/login")
        assert requests.get(f"{base_url}/api/runs", timeout=10).status_code == 401
    finally:
        context.close()
    assert errors == []


def test_the_share_switch_shares_a_run_read_only(
    browser, sqlite_url, redis_url, data_dir, tmp_path
):
    """Alice's run page has "Share with team"; before she flips it bob's page for the run is
    the 404 page, after it bob sees the run read-only (no edit, cancel or delete)."""
    from tests.web.support_dashboard import add_succeeded

    app = token_app(sqlite_url, redis_url, data_dir)
    alice_token, bob_token = new_token(app, "alice"), new_token(app, "bob")
    run, _ = add_succeeded(app, created_by="alice")
    with on_loopback(app) as base_url:
        alice = signed_in(browser, base_url, alice_token)
        bob = signed_in(browser, base_url, bob_token)
        try:
            url = f"{base_url}/runs/{run.run_id}"
            assert bob.goto(url).status == 404
            alice.goto(url)
            assert not alice.is_checked("#run-shared")
            alice.click("#run-shared")
            # a locator's wait, not wait_for_function: the page's CSP refuses the eval a string
            # predicate is polled with once its first check fails (a slow PATCH)
            expect(alice.locator("#run-shared")).to_be_enabled()
            alice.screenshot(path=str(tmp_path / "share-owner.png"))
            assert alice.is_checked("#run-shared")
            assert bob.goto(url).status == 200
            assert bob.text_content("#run-read-only") == "shared by alice · read-only"
            assert bob.locator("#labels-edit, #run-delete, #run-shared").count() == 0
            bob.screenshot(path=str(tmp_path / "share-reader.png"))
        finally:
            alice.context.close()
            bob.context.close()
