"""Notebook mode's bars of a catalog ticker: the frame a platform run of the same ticker
and dates gives its strategy (``kinds.runs.python_run.strategy_frame`` of the window's
bars as traded), read from the platform's data folder. Needs a checkout of the repository,
as ``Backtest`` does; the strategy side never imports it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

import data
from engine import Bars
from engine.corporate import CorporateActions
from kinds.runs.contract import request_moment
from kinds.runs.python_run import AdjustedView, adjusted_view, strategy_frame


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
    return strategy_frame(_window(_history(ticker, start_date, end_date, data_dir)))


def catalog_market(
    ticker: str,
    start_date: str | None = None,
    end_date: str | None = None,
    data_dir: str | Path | None = None,
    price_adjustment: str | None = None,
) -> tuple[pd.DataFrame, CorporateActions | None, float, AdjustedView | None]:
    """(``catalog_frame``, the ticker's corporate actions acting on that window as a platform
    run applies them (``data.adjust.window_actions``), its bars per year, the window as a
    strategy reads it with ``price_adjustment`` (None: as traded)).

    :raise ValueError: as ``catalog_frame``, or naming ``price_adjustment``.
    """
    from data.adjust import ADJUSTMENTS, window_actions

    history = _history(ticker, start_date, end_date, data_dir)
    actions = window_actions(history.bars, history.events, history.start, history.stop)
    view = None
    if price_adjustment is not None:
        if price_adjustment not in ADJUSTMENTS:
            raise ValueError(f"price_adjustment: one of {', '.join(ADJUSTMENTS)}")
        view = adjusted_view(history.with_adjustment(price_adjustment))
    return strategy_frame(_window(history)), actions, history.bars_per_year, view


def _window(history: data.History) -> Bars:
    return history.bars.slice(history.start, history.stop)


def _history(
    ticker: str, start_date: str | None, end_date: str | None, data_dir: str | Path | None
) -> data.History:
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
    return history


def catalog_loader(data_dir: str | Path | None = None) -> Callable[[str], pd.DataFrame]:
    """A function of a ticker to its whole file's bars (what ``self.ref`` reads in notebook
    mode when the ``Backtest`` was made from a catalog ticker)."""

    def load(ticker: str) -> pd.DataFrame:
        return catalog_frame(ticker, data_dir=data_dir)

    return load
