"""A module that leaves a mark when imported: the file IMPORT_MARKER names. A queued job
naming a function here must be refused without this module ever being imported
(``tests/consumer/test_consumer_quarantine.py``)."""

from __future__ import annotations

import os
from pathlib import Path

Path(os.environ["IMPORT_MARKER"]).touch()


def anything(*args: object) -> None:
    """Never called."""
    Path(os.environ["IMPORT_MARKER"] + ".called").touch()
