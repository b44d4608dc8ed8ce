"""tests.peer_venv: a test that needs the peer venv waits while scripts/test.sh's background
install of it holds the install lock, and goes straight on when no install is under way."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

from tests.peer_venv import wait_for_peer_install


def test_the_wait_lasts_until_the_install_releases_its_lock(tmp_path: Path) -> None:
    lock = tmp_path / "install.lock"
    released = threading.Event()
    with lock.open("wb") as install:  # the install's exclusive lock, as scripts/test.sh takes it
        fcntl.flock(install, fcntl.LOCK_EX)

        def finish_install() -> None:
            released.set()
            fcntl.flock(install, fcntl.LOCK_UN)

        timer = threading.Timer(0.3, finish_install)
        timer.start()
        wait_for_peer_install(lock)
        assert released.is_set()
        timer.join()


def test_without_an_install_under_way_the_wait_returns_at_once(tmp_path: Path) -> None:
    idle = tmp_path / "install.lock"
    idle.touch()  # left by an install that ended
    for lock in (tmp_path / "absent.lock", idle):
        waiting = threading.Thread(target=wait_for_peer_install, args=(lock,), daemon=True)
        waiting.start()
        waiting.join(timeout=10)
        assert not waiting.is_alive(), lock.name
