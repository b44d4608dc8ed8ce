"""OHLCV bars as plain numpy arrays: the engine's market-data input.

A light frame (no pandas at run time: a backtest is its own short-lived process, and
importing pandas alone costs ~0.3 s). ``Bars.from_dataframe`` accepts a pandas DataFrame
for notebook users and imports pandas only when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, eq=False)
class Bars:
    """Bars in time order.

    ``timestamps`` is ``datetime64[s]`` in UTC (naive values meaning UTC); the price and
    volume columns are float64 arrays of the same length.
    """

    timestamps: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.timestamps)
        object.__setattr__(self, "timestamps", np.asarray(self.timestamps, dtype="datetime64[s]"))
        for name in _FIELDS:
            arr = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            if arr.shape != (n,):
                raise ValueError(f"Bars.{name} has shape {arr.shape}, expected ({n},)")
            object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return len(self.timestamps)

    def slice(self, start: int, stop: int) -> Bars:
        """Bars ``[start, stop)`` as a new object (views, no copies)."""
        return Bars(
            self.timestamps[start:stop],
            *(getattr(self, name)[start:stop] for name in _FIELDS),
        )

    @classmethod
    def from_dataframe(cls, df: pd.DataFrame) -> Bars:
        """Build from a DataFrame with a DatetimeIndex and open/high/low/close/volume columns
        (any capitalisation). A timezone-aware index is converted to UTC."""
        import pandas as pd  # local: pandas is optional at run time

        cols = {str(c).lower(): c for c in df.columns}
        missing = [f for f in _FIELDS if f not in cols]
        if missing:
            raise ValueError(f"DataFrame lacks columns: {', '.join(missing)}")
        index = pd.DatetimeIndex(df.index)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        return cls(
            index.values.astype("datetime64[s]"),
            *(df[cols[f]].to_numpy(dtype=np.float64) for f in _FIELDS),
        )
