"""Tests for data.errors: the exception types and what they carry."""

from __future__ import annotations

import pytest

from data.errors import CatalogError, DataQualityError, EmptyRangeError, UnknownTickerError


@pytest.mark.parametrize(
    "error", [UnknownTickerError("x"), EmptyRangeError("x"), DataQualityError(3, "x")]
)
def test_errors_are_value_errors(error: ValueError) -> None:
    """Every user-facing data error is a ValueError, so callers can map them to a 400."""
    assert isinstance(error, ValueError)


def test_data_quality_error_names_the_line() -> None:
    """DataQualityError keeps the 1-based row and puts it first in its message."""
    error = DataQualityError(7, "High 1 is below max(Open, Close) = 2")
    assert error.row == 7
    assert error.message == "High 1 is below max(Open, Close) = 2"
    assert str(error) == "line 7: High 1 is below max(Open, Close) = 2"


def test_request_errors_name_their_field() -> None:
    """UnknownTickerError blames 'ticker' and EmptyRangeError blames 'start_date'."""
    assert UnknownTickerError("unknown ticker XYZ").field == "ticker"
    assert EmptyRangeError("no bars").field == "start_date"
    assert str(UnknownTickerError("unknown ticker XYZ")) == "unknown ticker XYZ"


def test_catalog_error_is_a_value_error() -> None:
    """A broken catalog is reported as a ValueError subclass distinct from user errors."""
    assert issubclass(CatalogError, ValueError)
    assert not issubclass(CatalogError, UnknownTickerError)
