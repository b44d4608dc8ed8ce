"""What the browser tests share: a screenshot small enough to commit, and a page signed in
with an API token (AUTH_MODE=token)."""

from __future__ import annotations

import io
from pathlib import Path


def shoot(target, path: Path, full_page: bool = False) -> None:
    """A screenshot of a page's viewport (or the whole page, or one element when ``target``
    is a locator), reduced to 256 colours."""
    from PIL import Image

    png = target.screenshot(full_page=True) if full_page else target.screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


VIEWPORT = {"width": 1280, "height": 800}


def signed_in(browser, base_url: str, token: str):
    """A page of a new browser context signed in with ``token`` through the form, on the run
    form (its script ready); close it with ``page.context.close()``."""
    context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("#token", token)
    page.click("#signin-submit")
    page.wait_for_selector("#run-form[data-ready='1']")
    return page
