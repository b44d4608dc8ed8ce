"""Group ranking for a portfolio's ranking (pure numpy): at each bar, rank the catalog groups
(sectors) by an aggregate of their members' scores, keep the ``top_groups`` best, and
within each kept group at most its ``per_group`` best-scored eligible names; the ranking
(``top_n``, the weighting, the caps) then chooses among the tickers left eligible.

A group's score at a bar is the ``mean`` or ``median`` (``GROUP_SCORES``) of the scores of
its members that have a bar and a defined score there and are in the universe (the
``membership`` index) that day; the filter does not enter it (it measures the group, the
filter picks the names to hold). A group with no such member is not ranked. Ties go to the
group whose name sorts first, and within a group to the lower column, as the ranking's own
ties do. A ticker without a group (no catalog sector) is never kept.
"""

from __future__ import annotations

import numpy as np

from engine.portfolio import target_weights

GROUP_SCORES = ("mean", "median")
"""How a group's score aggregates its members' scores."""


def group_scores(
    scores: np.ndarray, scored: np.ndarray, groups: np.ndarray, how: str
) -> np.ndarray:
    """(T, G) each group's score at each bar: the ``how`` (``GROUP_SCORES``) of its members'
    ``scores`` (T, N) where ``scored`` (T, N) holds; NaN where none does. ``groups`` (N,):
    each ticker's group code 0..G-1, negative (``engine.portfolio.NO_SECTOR``) for none."""
    if how not in GROUP_SCORES:
        raise ValueError(f"how: one of {', '.join(GROUP_SCORES)}")
    n_groups = int(groups.max()) + 1 if groups.size and groups.max() >= 0 else 0
    out = np.full((scores.shape[0], n_groups), np.nan)
    values = np.where(scored, scores, np.nan)
    for group in range(n_groups):
        members = values[:, groups == group]
        counted = np.isfinite(members).any(axis=1)
        if not counted.any():
            continue
        aggregate = np.nanmean if how == "mean" else np.nanmedian
        out[counted, group] = aggregate(members[counted], axis=1)
    return out


def _best(keys: np.ndarray, count: int) -> np.ndarray:
    """(T, K) bool: the ``count`` finite best (highest) of each row of ``keys``, ties to
    the lower column: the ranking's own choice (``engine.portfolio.target_weights``)."""
    chosen = target_weights(np.isfinite(keys), method="rank", scores=keys, top_n=count)
    return chosen > 0


def group_selection(
    eligible: np.ndarray,
    scores: np.ndarray,
    scored: np.ndarray,
    groups: np.ndarray,
    *,
    top_groups: int,
    per_group: int | None = None,
    how: str = "mean",
) -> np.ndarray:
    """(T, N) ``eligible`` narrowed to the members of the ``top_groups`` best groups at each
    bar (``group_scores`` of ``scored``), and within each kept group to its ``per_group``
    best-scored eligible members (None: all of them). Module docstring."""
    if top_groups < 1 or (per_group is not None and per_group < 1):
        raise ValueError("top_groups and per_group: integers >= 1")
    groups = np.asarray(groups, dtype=np.int64)
    kept_groups = _best(group_scores(scores, scored, groups, how), int(top_groups))
    grouped = groups >= 0
    kept = np.zeros(eligible.shape, dtype=bool)
    kept[:, grouped] = kept_groups[:, groups[grouped]]
    out = eligible & kept & np.isfinite(scores)
    if per_group is None:
        return out
    for group in range(kept_groups.shape[1]):
        members = groups == group
        keys = np.where(out[:, members], scores[:, members], np.nan)
        out[:, members] = _best(keys, int(per_group))
    return out
