"""Where settings are read: the environment is read in this package and nowhere else.

- ``config.process`` (standard library only): every variable a consumer Job, the reaper,
  the scaler, the retention job and the scripts read, each with its one default. The
  modules keep their accessors (``work.queue.job_timeout()``, ``work.connection.queue_name()``…)
  as thin readers of it.
- ``config.settings``: the web's ``Settings`` (pydantic-settings), read once when the app is
  built; the fields it shares with the process (RUN_MAX_BARS, LOG_LEVEL…) take their
  defaults from ``config.process``. Its names are importable from ``config`` itself, loaded
  on first use, so that importing ``config.process`` (as a Job does) never loads pydantic.

A top-level package that imports nothing of the project: it sits at the bottom of the import
graph, so any package can depend on it without a cycle.

Outside it, only the process entry points touch ``os.environ``, and only to set or copy it:
``consumer/__main__.py`` (one math thread, set where unset), ``web/__main__.py`` (HOST and
PORT of the development server), and the environment a parent builds for its children
(``consumer/scaler.py``'s consumers, ``scripts/local_stack.py``, ``scripts/demo.py``,
``scripts/container.py``). ``backtest_client`` installs on its own and reads its two
variables itself. ``tests/config/test_config_reads.py`` holds the line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config.settings import RATE_WINDOWS, SETTING_KEYS, Settings, parse_rate, settings_from

_SETTINGS_NAMES = ("RATE_WINDOWS", "SETTING_KEYS", "Settings", "parse_rate", "settings_from")


def __getattr__(name: str) -> Any:
    """The web's settings names, imported from ``config.settings`` when first asked for."""
    if name in _SETTINGS_NAMES:
        from config import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'config' has no attribute {name!r}")


__all__ = ["RATE_WINDOWS", "SETTING_KEYS", "Settings", "parse_rate", "settings_from"]
