"""What the browser tests share: a screenshot small enough to commit."""

from __future__ import annotations

import io
from pathlib import Path


def shoot(page, path: Path, full_page: bool = False) -> None:
    """A screenshot of the viewport (or the whole page), reduced to 256 colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot(full_page=full_page))).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
