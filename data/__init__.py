"""Market data: the OHLCV CSV files, their catalog, the loader and its quality checks.

This folder is both the package and the default data directory (``DATA_DIR``), which ships
the synthetic demo data written by ``python -m data.generate``. Importing it loads only
numpy and the engine (no pandas). Commands (not imported here, so ``python -m`` runs them
cleanly): ``data.generate``, ``data.import_csv``, ``data.download``.

Public surface::

    from data import load_range, load_catalog, load_bars, data_dir, file_sha256
"""

from typing import TYPE_CHECKING, Any

from data.catalog import (
    CATALOG_FILE,
    TICKER_PATTERN,
    Catalog,
    TickerInfo,
    load_catalog,
    save_catalog,
    validate_ticker,
)
from data.dataset import (
    History,
    LoadedData,
    bar_window,
    date_range,
    file_bars,
    load_events,
    load_file,
    load_history,
    load_range,
    select_range,
)
from data.errors import (
    BadEntryError,
    CatalogError,
    DataQualityError,
    EmptyRangeError,
    UnknownTickerError,
)
from data.files import file_sha256
from data.loader import load_bars, parse_bars
from data.location import DATA_DIR_ENV, data_dir

if TYPE_CHECKING:
    from data.register import Registered, register_csv


def __getattr__(name: str) -> Any:
    """``register_csv`` and ``Registered`` (``data.register``), imported on first use: a
    consumer Job reads files and never registers one, so its ``import data`` leaves the
    registration code (``data.register``, ``data.derive_events``, ``data.split_gaps``) out."""
    if name in ("Registered", "register_csv"):
        from data import register

        return getattr(register, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CATALOG_FILE",
    "DATA_DIR_ENV",
    "TICKER_PATTERN",
    "BadEntryError",
    "Catalog",
    "CatalogError",
    "DataQualityError",
    "EmptyRangeError",
    "History",
    "LoadedData",
    "Registered",
    "TickerInfo",
    "UnknownTickerError",
    "bar_window",
    "data_dir",
    "date_range",
    "file_bars",
    "file_sha256",
    "load_bars",
    "load_catalog",
    "load_events",
    "load_file",
    "load_history",
    "load_range",
    "parse_bars",
    "register_csv",
    "save_catalog",
    "select_range",
    "validate_ticker",
]
