"""Notebook mode's bars of a catalog ticker: the frame a platform run of the same ticker
and dates gives its strategy (``kinds.runs.python_run.strategy_frame`` of the window's
bars as traded), read from the platform's data folder. Needs a checkout of the repository,
as ``Backtest`` does; the strategy side never imports it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

import data
from kinds.runs.contract import request_moment
from kinds.runs.python_run import strategy_frame


def catalog_frame(
    ticker: str,
    start_date: str | None = None,
    end_date: str | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """``ticker``'s bars dated ``start_date`` .. ``end_date`` (ISO dates or datetimes; both
    None: its whole file), as a strategy reads them.

    :raise ValueError: an unknown ticker, a file failing its checks, or no bar in the range;
        naming ``ticker`` or ``start_date``.
    """
    if (start_date is None) != (end_date is None):
        raise ValueError("start_date, end_date: give both, or neither for the whole file")
    try:
        if start_date is None or end_date is None:
            history = data.load_file(ticker.upper(), data_dir)
        else:
            history = data.load_history(
                ticker.upper(), request_moment(start_date), request_moment(end_date), data_dir
            )
    except (data.UnknownTickerError, data.DataQualityError) as exc:
        raise ValueError(f"ticker: {exc}") from None
    except data.EmptyRangeError as exc:
        raise ValueError(f"start_date: {exc}") from None
    return strategy_frame(history.bars.slice(history.start, history.stop))


def catalog_loader(data_dir: str | Path | None = None) -> Callable[[str], pd.DataFrame]:
    """A function of a ticker to its whole file's bars (what ``self.ref`` reads in notebook
    mode when the ``Backtest`` was made from a catalog ticker)."""

    def load(ticker: str) -> pd.DataFrame:
        return catalog_frame(ticker, data_dir=data_dir)

    return load
