"""numba's ``njit`` for the step's functions, compiled once for their argument types rather
than once for each constant they are called with.

A compiled function called from another with a constant argument (``_close(..., 7, False)``,
a walk started at bar ``0``) is typed by numba as that value (``Literal[int](7)``) and
compiled again for it: the step's ``_close`` was compiled 14 times, ``_row`` 10, ``_buy`` 6,
each copy with what it inlines, most of the broker step's cold compile. ``by_type`` types
each argument as its type (``int64``, ``bool``), so each function compiles once per
argument types, whatever constants its callers pass; the constants' values are passed as
arguments, the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from numba.core import config, types
from numba.core.registry import CPUDispatcher


class _ByType(CPUDispatcher):
    """A dispatcher that drops the literal values of its call's argument types."""

    def get_call_template(self, args: tuple, kws: dict) -> tuple:
        plain = tuple(types.unliteral(a) for a in args)
        return super().get_call_template(plain, {k: types.unliteral(v) for k, v in kws.items()})


def by_type(**options: object) -> Callable:
    """``njit(cache=True, **options)`` compiling once per argument types (module docstring)."""

    def compiled(func: Callable) -> CPUDispatcher:
        if config.DISABLE_JIT:  # as njit: the Python function itself
            return func
        dispatcher = _ByType(py_func=func, locals={}, targetoptions={"nopython": True, **options})
        dispatcher.enable_caching()
        return dispatcher

    return compiled
