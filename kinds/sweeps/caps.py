"""The caps on what one sweep or walk-forward request may buy (docs/security.md, "Caps on one
request"): the combinations it evaluates over all its tickers and, for a walk-forward, all
its folds (one stored result row each, so the same cap bounds its rows), and the chunks it
is cut into (one queue message and one consumer Job each). A sweep is also held to its
grid's own limit (``kinds.sweeps.grid.MAX_COMBOS``), whatever the caps say.

Both are checked on counts alone: the combinations the grid keeps after its constraints
(counted on value indices, ``kinds.sweeps.grid.expand_grid``), times the tickers and the
folds, before a single combination is built; the chunks from the chunk sizes, before a
single chunk message is. So refusing a request of millions of combinations costs what
reading it costs. The web reads the caps from its config (``REQUEST_MAX_COMBINATIONS``,
``REQUEST_MAX_CHUNKS``: ``kinds.sweeps.settings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kinds.sweeps.grid import MAX_COMBOS
from kinds.sweeps.settings import (
    REQUEST_MAX_CHUNKS,
    REQUEST_MAX_COMBINATIONS,
    SWEEP_COMPACT_ABOVE,
    SWEEP_COMPACT_PBO_COMBINATIONS,
    SWEEP_COMPACT_TOP_K,
    SWEEP_MAX_COMBINATIONS,
)
from work.errors import RequestError


@dataclass(frozen=True)
class CompactForm:
    """When and how a sweep is stored compactly (``kinds.sweeps.compact``): above ``above``
    combinations, up to ``combinations`` of them, keeping ``top_k`` rows per metric and
    chunk and the block statistics of about ``pbo_combinations``."""

    above: int = SWEEP_COMPACT_ABOVE.default
    combinations: int = SWEEP_MAX_COMBINATIONS.default
    top_k: int = SWEEP_COMPACT_TOP_K.default
    pbo_combinations: int = SWEEP_COMPACT_PBO_COMBINATIONS.default

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CompactForm:
        """The form an app's config holds (``web.kind_config`` puts the settings there)."""
        return cls(
            config[SWEEP_COMPACT_ABOVE.name],
            config[SWEEP_MAX_COMBINATIONS.name],
            config[SWEEP_COMPACT_TOP_K.name],
            config[SWEEP_COMPACT_PBO_COMBINATIONS.name],
        )

    def applies(self, combinations: int) -> bool:
        """Whether a sweep of ``combinations`` (over all its tickers) is stored compactly."""
        return combinations > self.above


@dataclass(frozen=True)
class RequestCaps:
    """The most one request may evaluate (``combinations``) and queue (``chunks``).
    ``folds`` is how many times the request runs its grid on each ticker (a walk-forward's
    folds; 1 for a sweep) and ``folds_field`` the request field a refusal names when the
    folds are what takes the total past the cap."""

    combinations: int = REQUEST_MAX_COMBINATIONS.default
    chunks: int = REQUEST_MAX_CHUNKS.default
    folds: int = 1
    folds_field: str = "grid"
    compact: CompactForm | None = None
    """A sweep's compact form (None: every combination is stored as a row, as a
    walk-forward's are): a sweep it ``applies`` to is held to its ``combinations``."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, compact: bool = False) -> RequestCaps:
        """The caps an app's config holds (``web.kind_config`` puts them there); ``compact``:
        with the config's compact form (a sweep's, not a walk-forward's)."""
        form = CompactForm.from_config(config) if compact else None
        return cls(config[REQUEST_MAX_COMBINATIONS.name], config[REQUEST_MAX_CHUNKS.name],
                   compact=form)  # fmt: skip

    @property
    def most_combinations(self) -> int:
        """The most combinations a sweep may run under these caps (what the sweep form
        counts a grid against): compactly stored, when the compact form allows more."""
        rows = min(MAX_COMBOS, self.combinations)
        if self.compact is None or self.compact.combinations <= self.compact.above:
            return rows
        return max(rows, self.compact.combinations)

    @property
    def grid_limit(self) -> int | None:
        """The most combinations a grid may keep under these caps when it is stored
        compactly (None: no compact form, the grid's own ``MAX_COMBOS`` holds)."""
        return None if self.compact is None else self.compact.combinations

    def check_combinations(self, per_ticker: int, tickers: int = 1) -> None:
        """Refuse a grid of ``per_ticker`` combinations run on ``tickers`` tickers in
        ``folds`` folds when that is more than ``combinations`` in all.

        :raise RequestError: naming ``grid`` when the grid over its tickers alone is over
            the cap, else ``folds_field``; the message gives the count, the cap and its
            variable.
        """
        total = per_ticker * tickers * self.folds
        if self.compact is not None and self.compact.applies(total):
            if total > self.compact.combinations:
                raise RequestError(
                    "grid",
                    f"grid has {total:,} combinations to run; a sweep may run at most "
                    f"{self.compact.combinations:,} ({SWEEP_MAX_COMBINATIONS.name})",
                )
            return
        if total <= self.combinations:
            return
        counted = f"{per_ticker:,} combinations to run"
        fewer = ["a smaller grid"]
        if tickers > 1:
            counted += f" on each of {tickers} tickers"
            fewer.append("fewer tickers")
        if self.folds > 1:
            counted += f" in each of {self.folds} folds"
            fewer.append(f"fewer folds ({self.folds_field})")
        if total != per_ticker:
            counted += f", {total:,} in all"
        over = per_ticker * tickers > self.combinations
        raise RequestError(
            "grid" if over else self.folds_field,
            f"grid has {counted}; a request may run at most {self.combinations:,} "
            f"({REQUEST_MAX_COMBINATIONS.name}): send {' or '.join(fewer)}",
        )

    def check_chunks(self, chunks: int) -> None:
        """Refuse a request cut into more than ``chunks`` chunks.

        :raise RequestError: naming ``chunk_size`` (larger chunks are fewer).
        """
        if chunks <= self.chunks:
            return
        raise RequestError(
            "chunk_size",
            f"the request is cut into {chunks:,} chunks; a request may queue at most "
            f"{self.chunks:,} ({REQUEST_MAX_CHUNKS.name}): send a larger chunk_size",
        )


__all__ = ["CompactForm", "RequestCaps"]
