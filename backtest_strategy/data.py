"""The price data a strategy reads: ``_Data`` serves the OHLCV columns (and any other column
of the frame) as numpy arrays that grow bar by bar, ``[-1]`` the current bar, as
backtesting.py's ``_Data`` does; ``_Array`` and ``_Indicator`` are those arrays, with a
``.s`` (pandas Series) and ``.df`` accessor. numpy, pandas and the standard library only:
this runs inside the strategy sandbox."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class _Array(np.ndarray):
    """An ndarray with a ``name`` and options (``_opts``: the index, plotting hints)."""

    name: Any
    _opts: dict

    def __new__(cls, array: Any, *, name: Any = None, **kwargs: Any) -> _Array:
        obj = np.asarray(array).view(cls)
        obj.name = name or getattr(array, "name", "")
        obj._opts = kwargs
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        if obj is not None:
            self.name = getattr(obj, "name", "")
            self._opts = getattr(obj, "_opts", {})

    def __bool__(self) -> bool:
        try:
            return bool(self[-1])
        except IndexError:
            return super().__bool__()

    def __float__(self) -> float:
        try:
            return float(self[-1])
        except IndexError:
            return super().__float__()

    @property
    def s(self) -> pd.Series:
        """The array as a pandas Series on the bars' index."""
        values = np.atleast_2d(self)
        index = self._opts["index"][: values.shape[1]]
        return pd.Series(values[0], index=index, name=self.name)

    @property
    def df(self) -> pd.DataFrame:
        """The array (one column per row of a 2-d indicator) as a DataFrame."""
        values = np.atleast_2d(np.asarray(self))
        index = self._opts["index"][: values.shape[1]]
        return pd.DataFrame(values.T, index=index, columns=[self.name] * len(values))


class _Indicator(_Array):
    """An array declared with ``Strategy.I``: revealed bar by bar in ``next``."""


class _Data:
    """The frame's columns as arrays as long as the bars seen so far (``len(data)``)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.__df = df
        self.__len = len(df)
        self.__pip: float | None = None
        self.__cache: dict[str, _Array] = {}
        self.__arrays: dict[str, Any] = {}
        self._update()

    def __getitem__(self, item: str) -> _Array:
        return self.__get_array(item)

    def __getattr__(self, item: str) -> _Array:
        try:
            return self.__get_array(item)
        except KeyError:
            raise AttributeError(f"Column '{item}' not in data") from None

    def _set_length(self, length: int) -> None:
        self.__len = length
        self.__cache.clear()

    def _update(self) -> None:
        index = self.__df.index.copy()
        self.__arrays = {col: _Array(arr, index=index) for col, arr in self.__df.items()}
        self.__arrays["__index"] = index

    def __len__(self) -> int:
        return self.__len

    def __repr__(self) -> str:
        i = min(self.__len, len(self.__df)) - 1
        items = ", ".join(f"{k}={v}" for k, v in self.__df.iloc[i].items())
        return f"<Data i={i} ({self.__arrays['__index'][i]}) {items}>"

    @property
    def df(self) -> pd.DataFrame:
        """The bars seen so far as a DataFrame."""
        return self.__df.iloc[: self.__len] if self.__len < len(self.__df) else self.__df

    @property
    def pip(self) -> float:
        """The smallest price step: 10 ** -(the median count of decimals of the closes)."""
        if self.__pip is None:
            decimals = [len(s.partition(".")[-1]) for s in self.__arrays["Close"].astype(str)]
            self.__pip = float(10 ** -np.median(decimals))
        return self.__pip

    def __get_array(self, key: str) -> _Array:
        arr = self.__cache.get(key)
        if arr is None:
            arr = self.__cache[key] = self.__arrays[key][: self.__len]
        return arr

    def _current_value(self, key: str) -> Any:
        return self.__arrays[key][self.__len - 1]

    @property
    def Open(self) -> _Array:
        return self.__get_array("Open")

    @property
    def High(self) -> _Array:
        return self.__get_array("High")

    @property
    def Low(self) -> _Array:
        return self.__get_array("Low")

    @property
    def Close(self) -> _Array:
        return self.__get_array("Close")

    @property
    def Volume(self) -> _Array:
        return self.__get_array("Volume")

    @property
    def index(self) -> pd.Index:
        return self.__get_array("__index")
