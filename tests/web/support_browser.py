"""What the browser tests share: where screenshots go and a screenshot small enough to
commit, a page that records its script errors, a page signed in with an API token
(AUTH_MODE=token), a finished sweep's heatmap and a form input the server checks as it
changes."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any


def shoot(target, path: Path, full_page: bool = False) -> None:
    """A screenshot of a page's viewport (or the whole page, or one element when ``target``
    is a locator), reduced to 256 colours."""
    from PIL import Image

    png = target.screenshot(full_page=True) if full_page else target.screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def screenshots_dir(fallback: Path) -> Path:
    """Where screenshots go: DASHBOARD_SCREENSHOTS_DIR when set (``docs/images`` refreshes
    the docs' pictures), else ``fallback`` (a temporary directory); made when missing."""
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS_DIR") or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


VIEWPORT = {"width": 1280, "height": 800}


def finished_heatmap(page, timeout_ms: int) -> tuple[Any, dict, dict]:
    """A sweep's page once its sweep SUCCEEDED at 100 % and its heatmap is drawn: (the
    heatmap's canvas, its best cell ``{i, j, v}``, the grid's values by name)."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute(
        "data-sweep-status", "SUCCEEDED", timeout=timeout_ms
    )
    expect(page.locator("#sweep-bar")).to_have_text("100%")
    canvas = page.locator("#heatmap")
    expect(canvas).to_have_attribute("data-best-cell", re.compile(r"\{"))
    best = json.loads(canvas.get_attribute("data-best-cell"))
    dims = json.loads(page.locator("#sweep-data").text_content())["dimensions"]
    return canvas, best, dims


INVALID = re.compile(r"\bis-invalid\b")
"""The class of an input the server refused."""


def server_refuses(page, typed: str, bad: str, good: str, shown: str, says: str) -> None:
    """``bad`` typed in the input ``typed`` (checked by the server as it changes) marks the
    input ``shown`` invalid with a message under it containing ``says``; ``good`` typed
    in its place clears the mark. Leaves ``good`` in the input."""
    from playwright.sync_api import expect

    page.fill(typed, bad)
    expect(page.locator(shown)).to_have_class(INVALID)
    expect(page.locator(f"{shown} + .invalid-feedback")).to_contain_text(says)
    page.fill(typed, good)
    expect(page.locator(shown)).not_to_have_class(INVALID)


NETWORK_CHANGED = "Failed to load resource: net::ERR_NETWORK_CHANGED"
"""What chromium logs for a request it dropped because the machine's network interfaces
changed while it was in flight: the container tests running beside the browser tests make
and remove podman's networks. The pages poll again (``BT.every``), so it is no error of
theirs; any other failed load still is."""


def page_error(message, expected: str | None = None) -> bool:
    """Whether a console message is an error of the page's: an error, but not one starting
    with ``expected`` (a status a test provokes) nor ``NETWORK_CHANGED``."""
    text = message.text
    if message.type != "error" or text == NETWORK_CHANGED:
        return False
    return not (expected and text.startswith(expected))


def recording_page(browser, viewport: dict | None = None, expected: str | None = None):
    """A page of a new browser context that records its script errors (uncaught errors and
    console errors, but those starting with ``expected``, a 400 a test provokes, and
    ``NETWORK_CHANGED``) in ``page.errors``; close it with ``page.context.close()``."""
    context = browser.new_context(viewport=viewport or VIEWPORT, reduced_motion="reduce")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(f"pageerror: {error}"))

    def console(message) -> None:
        if page_error(message, expected):
            page.errors.append(f"console: {message.text}")

    page.on("console", console)
    return page


def signed_in(browser, base_url: str, token: str):
    """A page of a new browser context signed in with ``token`` through the form, on the run
    form (its script ready); close it with ``page.context.close()``."""
    context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("#token", token)
    page.click("#signin-submit")
    page.wait_for_selector("#run-form[data-ready='1']")
    return page
