"""Fixtures of the engine tests: backtesting.py's GOOG.csv as a pandas frame, read once a
module, for the parity tests against backtesting.py."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.bars import goog_frame


@pytest.fixture(scope="module")
def goog() -> pd.DataFrame:
    """GOOG.csv as pandas reads it (dated index, Open/High/Low/Close/Volume)."""
    return goog_frame()
