"""What the browser tests share: a screenshot small enough to commit."""

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
