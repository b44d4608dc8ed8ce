"""One source, several bindings: the broker's arithmetic is written once as plain Python on
floats, and rebuilt here with other global names — numpy's functions for arrays of runs
(``engine.broker.costs.ARRAYS``), numba's compiled forms for the kernels
(``engine.broker.jitted``) — so every binding runs the same operations in the same order.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def rebind(
    functions: Sequence[types.FunctionType],
    names: Mapping[str, Any],
    wrap: Callable[[Callable], Any] = lambda f: f,
) -> dict[str, Any]:
    """``functions`` (of one module) rebuilt on a copy of their module's globals in which
    ``names`` replace the module's, each passed through ``wrap`` (``numba.njit`` ...); the
    copies call each other, not the originals. Returns them by name."""
    namespace = {**functions[0].__globals__, **names}
    built = {}
    for f in functions:
        copy = types.FunctionType(f.__code__, namespace, f.__name__, f.__defaults__)
        copy.__qualname__, copy.__doc__ = f.__qualname__, f.__doc__
        copy.__annotations__ = f.__annotations__
        built[f.__name__] = wrap(copy)
    namespace.update(built)
    return built
