"""numba's ``inline="always"`` with each inlined function's variables copied once per copy.

The kernels inline the broker's rules and the step's parts at numba's IR level
(``inline="always"``), and numba 0.68's inliner (``InlineWorker.inline_ir``) copies the
callee's IR at each call site block by block, a ``copy.deepcopy`` of each block with a
memo of its own. Every variable of a block points at the function's scope, which holds
every variable of the function, so each block's copy copies the whole scope again: the work
grows with blocks × variables. It was 43 % of the broker step's cold compile
(``engine.compiled.warm_steps`` under cProfile: 116 of 270 s in ``copy.deepcopy`` under
``copy_ir``, 9.6 M variable copies).

``install`` gives the blocks of one IR copied within one ``inline_ir`` call one shared memo,
so the scope and its variables are copied once, as one ``deepcopy`` of the whole IR would
copy them; the IR is otherwise the same and so is the machine code (the step's kernels'
assembly equal but for the names numba gives constant byte strings), in about a quarter
less compile time. Only ``inline_ir``'s own copies change: the ``copy`` that
``numba.core.inline_closurecall`` uses, where ``copy_ir`` is its one ``deepcopy``, shares
a memo only inside ``inline_ir``.

Only for numba 0.68.1 (requirements.txt's pin), whose inliner this reads; another numba is
left as it is. Installed on import of ``engine.broker.jitted``, which every kernel that
inlines the broker's rules imports before it compiles.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

import numba
from numba.core import inline_closurecall, ir

NUMBA_VERSION = "0.68.1"
"""The numba whose ``InlineWorker.inline_ir`` copies a callee block by block."""

_local = threading.local()
# .memos: {id(scope): (scope, memo)} of the innermost inline_ir call, or None outside one
# (the scope kept beside its memo, so its id stays its own while the table lives)


class _SharedMemoCopy:
    """The ``copy`` module as ``numba.core.inline_closurecall`` sees it: inside
    ``inline_ir``, the deep copies of blocks of one scope share one memo."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(x: Any, memo: dict | None = None) -> Any:
        memos = getattr(_local, "memos", None)
        if memo is None and memos is not None and isinstance(x, ir.Block):
            memo = memos.setdefault(id(x.scope), (x.scope, {}))[1]
        return copy.deepcopy(x, memo)


def _sharing(inline_ir: Callable) -> Callable:
    """``inline_ir`` with a fresh table of memos for its copies (an enclosing call's
    restored after it)."""

    @wraps(inline_ir)
    def shared(*args: Any, **kwargs: Any) -> Any:
        outer = getattr(_local, "memos", None)
        _local.memos = {}
        try:
            return inline_ir(*args, **kwargs)
        finally:
            _local.memos = outer

    shared.shares_copies = True  # type: ignore[attr-defined]
    return shared


def install() -> bool:
    """Make numba's inliner copy each inlined IR's scope once (module docstring); True if it
    now does (idempotent), False on a numba other than ``NUMBA_VERSION``."""
    worker = inline_closurecall.InlineWorker
    if getattr(worker.inline_ir, "shares_copies", False):
        return True
    if numba.__version__ != NUMBA_VERSION or inline_closurecall.copy is not copy:
        return False
    inline_closurecall.copy = _SharedMemoCopy()
    worker.inline_ir = _sharing(worker.inline_ir)
    return True
