"""Seed matplotlib's font cache from the copy built into the image, before charts are drawn.

A Job's MPLCONFIGDIR (/tmp/matplotlib) is a fresh emptyDir, so matplotlib would rebuild its
font list on every start (0.2–0.3 s). The Dockerfile builds that list once into
MPL_FONT_CACHE (/opt/matplotlib, read-only); ``seed_font_cache`` copies it into the writable
MPLCONFIGDIR when it is missing there. Outside the image neither variable names a seed, and
nothing happens (matplotlib keeps its own cache in the user's home).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from config import process


def seed_font_cache() -> None:
    """Copy ``MPL_FONT_CACHE``'s ``fontlist-*.json`` into ``MPLCONFIGDIR`` if it has none;
    any failure leaves matplotlib to build its own (correct, only slower)."""
    seed, target = process.MPL_FONT_CACHE.value(), process.MPLCONFIGDIR.value()
    if not seed or not target:
        return
    try:
        lists = sorted(Path(seed).glob("fontlist-*.json"))
        if not lists:
            return
        destination = Path(target)
        destination.mkdir(parents=True, exist_ok=True)
        for source in lists:
            if not (destination / source.name).exists():
                shutil.copyfile(source, destination / source.name)
    except OSError:
        return
