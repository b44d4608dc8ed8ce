"""The price data a strategy reads: ``_Data`` serves the OHLCV columns (and any other column
of the frame) as numpy arrays that grow bar by bar, ``[-1]`` the current bar, as
backtesting.py's ``_Data`` does; ``_Array`` and ``_Indicator`` are those arrays, with a
``.s`` (pandas Series) and ``.df`` accessor. numpy, pandas and the standard library only:
this runs inside the strategy sandbox.

Design: each column is held once at full length; what a strategy reads on bar ``i`` is a
view of its first ``i + 1`` values, made on the first read within the bar and kept in the
instance's ``__dict__`` until the bar moves on, so later reads in the bar are plain
attribute hits (``_Column`` for the OHLCV columns and the index, ``__getattr__`` for any
other column)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class _Array(np.ndarray):
    """A numpy array carrying a label (``name``), the bars' full index (``_index``: its
    values are the first ``len`` bars of it) and, for an indicator, how it was declared
    (``_opts``). Every view, slice or arithmetic result of it carries the same three.
    Converted to a scalar (``float``, ``bool``) it stands for its current (last) value."""

    name: Any
    _index: pd.Index | None
    _opts: dict

    def __new__(
        cls, values: Any, *, name: Any = "", index: pd.Index | None = None, **opts: Any
    ) -> _Array:
        array = np.asarray(values).view(cls)
        array.__dict__.update(name=name, _index=index, _opts=opts)
        return array

    def __array_finalize__(self, parent: Any) -> None:
        # a view or a result takes the label of the array it came from (an instance's own,
        # or a revealed view's class's: ``revealed``); made from anything else
        # (``np.asarray(...).view``, unpickling) it starts with the defaults
        if isinstance(parent, _Array):
            self.__dict__.update(name=parent.name, _index=parent._index, _opts=parent._opts)
        else:
            self.__dict__.update(name="", _index=None, _opts={})

    # a scalar conversion reads the current bar's value (of the last row of a 2-d
    # indicator); an empty array converts as numpy converts it
    def __float__(self) -> float:
        return float(self[(-1,) * self.ndim] if self.size else np.asarray(self))

    def __bool__(self) -> bool:
        return bool(self[(-1,) * self.ndim] if self.size else np.asarray(self))

    def _rows(self) -> np.ndarray:
        """The values as a plain 2-d array, one row per series (a 1-d array is one row)."""
        return np.asarray(self).reshape(-1, self.shape[-1] if self.ndim else 1)

    def _bars(self, length: int) -> pd.Index | None:
        """The index of the first ``length`` bars (None if the array was made without one)."""
        return None if self._index is None else self._index[:length]

    @property
    def s(self) -> pd.Series:
        """The values as a pandas Series on the bars' index (a 2-d indicator: its first row)."""
        row = self._rows()[0]
        return pd.Series(row, index=self._bars(len(row)), name=self.name)

    @property
    def df(self) -> pd.DataFrame:
        """The values as a DataFrame on the bars' index, one column per row of a 2-d
        indicator, every column labelled with the array's name."""
        rows = self._rows()
        return pd.DataFrame(
            rows.T, index=self._bars(rows.shape[1]), columns=[self.name] * len(rows)
        )


class _Indicator(_Array):
    """An array declared with ``Strategy.I``: revealed bar by bar in ``next``."""


def revealed(indicator: _Indicator) -> _Indicator:
    """``indicator``'s values as an array whose views (the bar-by-bar reveal, slices,
    results) carry its label on their class, not each in its own ``__dict__``: numpy then
    calls no Python ``__array_finalize__`` for them (a view 0.11 µs instead of 0.27), which
    the host makes for every indicator on every bar. Still an ``_Indicator`` of the same
    name, index and options."""
    cls = type(indicator)
    labels = {"name": indicator.name, "_index": indicator._index, "_opts": indicator._opts}
    members = {**labels, "__array_finalize__": _FINALIZE, "__reduce__": _reduce_revealed}
    shown = type(cls.__name__, (cls,), members)
    shown.__qualname__, shown.__module__ = cls.__qualname__, cls.__module__
    return np.asarray(indicator).view(shown)


_FINALIZE = np.ndarray.__array_finalize__
"""ndarray's own ``__array_finalize__``, which numpy does not call."""


def _reduce_revealed(array: _Indicator) -> Any:
    """A revealed view pickles as the plain ``_Indicator`` it shows (its class is made per
    indicator and cannot be imported)."""
    plain = _Indicator(np.asarray(array), name=array.name, index=array._index, **array._opts)
    return plain.__reduce__()


class _Column:
    """A column of ``_Data`` read as an attribute (``data.Close``): its view for the current
    bar, made on the first read and then found in the instance's ``__dict__``, which
    shadows this (non-data) descriptor until the bar moves on."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, data: _Data | None, owner: type | None = None) -> Any:
        return self if data is None else data._show(self.name)


class _Data:
    """The frame's columns (``data.Close``, ``data["Close"]``, ``data.index``, any other
    column by its name) as arrays of the bars seen so far; ``len(data)`` is their count."""

    Open = _Column()
    High = _Column()
    Low = _Column()
    Close = _Column()
    Volume = _Column()
    index = _Column()

    def __init__(self, df: pd.DataFrame) -> None:
        self._frame = df
        self._length = len(df)
        self._pip: float | None = None
        self._full: dict[Any, Any] = {}
        self._shown: list[str] = []
        self._update()

    def _update(self) -> None:
        """Take the frame's columns afresh (``init`` may have added some to ``data.df``)."""
        self._set_length(self._length)
        index = self._frame.index.copy()
        self._full = {
            name: _Array(column.to_numpy(), name=name, index=index)
            for name, column in self._frame.items()
        }
        self._full["index"] = index

    def _set_length(self, length: int) -> None:
        """Show the first ``length`` bars from now on (dropping the views of the last)."""
        shown = self._shown
        if shown:
            cached = self.__dict__
            for name in shown:
                del cached[name]
            shown.clear()
        self._length = length

    def _show(self, name: str) -> Any:
        """The view of column ``name`` for the current length, kept until the length moves."""
        try:
            column = self._full[name]
        except KeyError:
            raise AttributeError(f"Column '{name}' not in data") from None
        view = self.__dict__[name] = column[: self._length]
        self._shown.append(name)
        return view

    def __getattr__(self, name: str) -> Any:
        # only reached for a column without a descriptor, not yet read on this bar (or
        # before ``__init__`` has set the columns up: unpickling, copying)
        if "_full" not in self.__dict__:
            raise AttributeError(name)
        return self._show(name)

    def __getitem__(self, name: str) -> _Array:
        try:
            return self.__dict__[name] if name in self._shown else self.__getattr__(name)
        except AttributeError:
            raise KeyError(name) from None

    def __len__(self) -> int:
        return self._length

    def __repr__(self) -> str:
        bar = min(self._length, len(self._frame)) - 1
        row = self._frame.iloc[bar]
        values = ", ".join(f"{name}={value}" for name, value in row.items())
        return f"<Data bar {bar} at {row.name}: {values}>"

    @property
    def df(self) -> pd.DataFrame:
        """The bars seen so far as a DataFrame (the frame itself once every bar is seen)."""
        frame = self._frame
        return frame if self._length >= len(frame) else frame.iloc[: self._length]

    @property
    def pip(self) -> float:
        """The smallest price step: 10 ** -(the median count of decimals of the closes)."""
        if self._pip is None:
            texts = self._full["Close"].astype(str)
            decimals = np.char.str_len(np.char.partition(texts, ".")[..., 2])
            self._pip = float(10.0 ** -np.median(decimals))
        return self._pip
