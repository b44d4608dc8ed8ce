"""The interpreter of the peer venv (``.venv-bench``: vectorbt, quantstats, skfolio), once
``scripts/test.sh`` has finished installing it.

``scripts/test.sh`` installs ``requirements-bench.txt`` in the background while ``.venv``,
the lint, the kernels' warm-up and the first test files run, holding an exclusive lock on
``INSTALL_LOCK`` until the install ends. A test that needs a peer takes that lock shared,
so it waits for the install instead of finding a half-installed venv; outside such a run
(no lock file, or nobody holding it) it goes straight on (``tests.background``).
"""

from __future__ import annotations

from pathlib import Path

from bench.peers import vectorbt_python
from tests.background import wait_for

PROJECT_ROOT = Path(__file__).resolve().parents[1]

INSTALL_LOCK = PROJECT_ROOT / ".venv-bench" / "install.lock"
"""Held exclusively by ``scripts/test.sh``'s background install of ``.venv-bench``."""

INSTALL_LOG = PROJECT_ROOT / ".venv-bench" / "install.log"
"""What that install printed (read it when the peer is missing)."""


def wait_for_peer_install(lock: Path = INSTALL_LOCK) -> None:
    """Return once no install of the peer venv holds ``lock`` (at once when there is none)."""
    wait_for(lock)


def peer_python() -> str | None:
    """The interpreter that has vectorbt (``bench.peers.vectorbt_python``), after any install
    of ``.venv-bench`` under way has ended; None when there is none."""
    wait_for_peer_install()
    return vectorbt_python()


MISSING = (
    "the peer venv has no vectorbt: scripts/test.sh installs requirements-bench.txt into "
    f".venv-bench (its output: {INSTALL_LOG.relative_to(PROJECT_ROOT)}), or by hand "
    "`python3 -m venv .venv-bench && .venv-bench/bin/pip install -r requirements-bench.txt`"
)
"""Why a test that needs the peer fails without it."""
