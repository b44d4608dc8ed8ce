"""``python -m data.build_bars``: write the binary copy (``data.bars_cache``) of every file of
the catalog (the shipped data with the user catalog overlaid) that has no intact one, into
the bars cache directory, and print how many were written. The image runs it at build time,
so its Jobs read the shipped data's copies from their read-only root filesystem.
"""

from __future__ import annotations

import logging
from pathlib import Path

from data.bars_cache import cache_dir, read_copy, write_copy
from data.catalog import load_catalog
from data.files import bytes_sha256
from data.loader import parse_series

logger = logging.getLogger(__name__)


def build_copies(data_dir: str | Path | None = None) -> int:
    """Write the copy of every file of the catalog of ``data_dir`` (default: the shipped data
    with the user catalog overlaid) that has no intact one; how many were written. A file
    that cannot be read or fails a check is skipped: a run on it reports that itself."""
    catalog = load_catalog(data_dir, skip_invalid=True)
    written = 0
    for ticker in sorted(catalog.entries):
        try:
            raw = catalog.resolve(ticker).read_bytes()
            data_hash = bytes_sha256(raw)
            if read_copy(data_hash) is None:
                written += write_copy(data_hash, parse_series(raw))
        except (OSError, ValueError) as exc:  # unreadable, a bad entry, a failed check
            logger.warning("no bars copy for %s: %s", ticker, exc)
    return written


if __name__ == "__main__":
    print(f"{build_copies()} bars copies written to {cache_dir()}")
