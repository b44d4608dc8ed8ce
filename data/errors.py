"""The data package's exceptions: all ``ValueError`` subclasses with user-safe messages.

``UnknownTickerError`` and ``EmptyRangeError`` carry ``field`` (the request field to blame,
as ``engine.EngineParamError`` does); ``DataQualityError`` carries ``row``, the 1-based line
number in the CSV file; ``CatalogError`` is an operator problem (a broken catalog.json).
"""

from __future__ import annotations


class UnknownTickerError(ValueError):
    """A ticker is malformed or not in the catalog. Never caused a file read."""

    field = "ticker"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyRangeError(ValueError):
    """No bar falls in the requested date range."""

    field = "start_date"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DataQualityError(ValueError):
    """A CSV file fails a loader check; ``row`` is the 1-based line number in the file."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(f"line {row}: {message}")
        self.row = row
        self.message = message


class CatalogError(ValueError):
    """catalog.json is unreadable or an entry in it is invalid (e.g. a file outside DATA_DIR)."""


class BadEntryError(UnknownTickerError, CatalogError):
    """One catalog entry cannot be used (invalid, or its file is outside the data folder)
    while the rest of the catalog works: a request naming its ticker is refused as an
    unknown one would be (``field`` ticker), an operator's listing skips it."""
