"""A search's ``random``: n points of its grid drawn without replacement, with a seed, kept
in the grid's order (a search sweep's over another kind, a PYTHON sweep's). Pure."""

from __future__ import annotations

import numpy as np

from work.errors import RequestError

MAX_RANDOM = 10_000
"""Most points ``random`` may sample."""


def check_random(spec: object, total: int) -> dict[str, int] | None:
    """A request's ``random`` checked: ``{"points": n, "seed": s}`` (seed 0 when left out)
    with n held to the ``total`` points of its grid; None when it sent none.

    :raise RequestError: naming ``random``, ``random.points`` or ``random.seed``.
    """
    if spec is None:
        return None
    if not isinstance(spec, dict) or set(spec) - {"points", "seed"} or "points" not in spec:
        raise RequestError("random", 'must be {"points": n, "seed": s} (seed optional)')
    points, seed = spec["points"], spec.get("seed", 0)
    for name, value in (("points", points), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RequestError(f"random.{name}", "must be a whole number >= 0")
    if not 1 <= points <= MAX_RANDOM:
        raise RequestError("random.points", f"must be 1 to {MAX_RANDOM:,}")
    return {"points": min(points, total), "seed": seed}


def sample(combos: list[tuple], random: dict[str, int] | None) -> list[tuple]:
    """``random["points"]`` of ``combos`` drawn without replacement with its seed, in their
    order (all of them when ``random`` is None)."""
    if random is None:
        return combos
    picked = np.random.default_rng(random["seed"]).choice(
        len(combos), random["points"], replace=False
    )
    return [combos[i] for i in sorted(picked.tolist())]
