"""Shared bits of the bulk command tests: a thread that plays the consumer for the first
item a command records."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from web.db import get_database


def when_recorded(app: Flask, column: Any, work: Callable[[str], None]) -> threading.Thread:
    """A started thread that waits (up to 10 s) for the first row of ``column``'s table in
    ``app``'s database and calls ``work`` with its ``column`` value, as a consumer would."""

    def wait() -> None:
        sessions = get_database(app).sessionmaker
        for _ in range(200):
            with sessions() as session:
                found = session.scalars(select(column)).first()
            if found:
                work(found)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=wait)
    thread.start()
    return thread
