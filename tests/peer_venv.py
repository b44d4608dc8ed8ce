"""The interpreters of the peer venvs (``.venv-bench``: vectorbt, quantstats, skfolio;
``.venv-zipline``: zipline-reloaded), once ``scripts/test.sh`` has finished installing them.

``scripts/test.sh`` installs ``requirements-bench.txt`` and ``requirements-zipline.txt`` in
the background while ``.venv``, the lint, the kernels' warm-up and the first test files run,
each install holding an exclusive lock on its venv's ``install.lock`` until it ends. A test
that needs a peer takes that lock shared, so it waits for the install instead of finding a
half-installed venv; outside such a run (no lock file, or nobody holding it) it goes
straight on (``tests.background``).
"""

from __future__ import annotations

from pathlib import Path

from bench.peers import vectorbt_python, zipline_python
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


ZIPLINE_INSTALL_LOCK = PROJECT_ROOT / ".venv-zipline" / "install.lock"
"""Held exclusively by ``scripts/test.sh``'s background install of ``.venv-zipline``."""


def zipline_peer_python() -> str | None:
    """The interpreter that has zipline-reloaded (``bench.peers.zipline_python``), after any
    install of ``.venv-zipline`` under way has ended; None when there is none."""
    wait_for_peer_install(ZIPLINE_INSTALL_LOCK)
    return zipline_python()


ZIPLINE_MISSING = (
    "the zipline venv has no zipline-reloaded: scripts/test.sh installs requirements-zipline.txt "
    "into .venv-zipline (its output: .venv-zipline/install.log), or by hand `python3 -m venv "
    ".venv-zipline && .venv-zipline/bin/pip install -r requirements-zipline.txt`"
)
"""Why a test that needs zipline fails without it."""
