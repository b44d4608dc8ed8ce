"""The result cache in the browser, on the whole platform (the ``stack`` fixture): the run
form's "use cached result" checkbox and a cached run's page."""

from __future__ import annotations

import pytest
import requests

from tests.web.support_browser import shoot
from tests.web.test_browser_dashboard import (  # noqa: F401  (fixtures)
    TIMEOUT_MS,
    fill_run,
    open_form,
    shots,
    watched,
)

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

PARAMS = {"fast": "7", "slow": "33"}


def submit_from_form(page, stack, *, cache: bool) -> str:
    """Fill and submit the run form; the id of the run whose page it opens."""
    open_form(page, stack)
    fill_run(page, rule="SMA_CROSS", params=PARAMS, start_date="2016-01-04")
    if not cache:
        page.uncheck("#use-cache")
    page.click("#submit-run")
    page.wait_for_url("**/runs/*", timeout=TIMEOUT_MS)
    page.wait_for_selector("body[data-result='loaded']")
    return page.url.rsplit("/", 1)[1]


def test_an_identical_run_from_the_form_opens_as_served_from_the_cache(watched, stack, shots):  # noqa: F811
    """The box is on by default; the same form again opens a run that names and links the
    first; unticked, a Job runs it."""
    page = watched.page
    open_form(page, stack)
    assert page.is_checked("#use-cache")
    first = submit_from_form(page, stack, cache=False)
    second = submit_from_form(page, stack, cache=True)
    assert second != first
    note = page.locator("#cache-note")
    assert "Served from the cache of run" in note.text_content()
    assert note.locator("a").get_attribute("href") == f"/runs/{first}"
    shoot(page, shots / "dashboard-run-cached.png")
    third = submit_from_form(page, stack, cache=False)
    status = requests.get(f"{stack.base_url}/api/runs/{third}?result=false", timeout=30).json()
    assert status["cached"] is False and status["attempts"] >= 1
    assert page.locator("#cache-note").count() == 0
