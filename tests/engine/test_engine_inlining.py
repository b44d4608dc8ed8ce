"""numba's inliner with each inlined IR's scope copied once (``engine.broker.inlining``):
the copies share one scope where numba's gave each block its own, and a kernel compiles to
the same machine code with it as without."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

from numba.core import inline_closurecall
from numba.core.compiler import run_frontend

import engine.broker.jitted  # noqa: F401  (installs the inliner, as in a kernel's process)
from engine.broker import inlining

ROOT = Path(__file__).resolve().parents[2]


def _branchy(x, n):
    total = 0.0
    for i in range(n):
        if x > i:
            total += x
        elif x < -i:
            total -= x
        else:
            total *= 0.5
    return total if total > 0 else -total


def _copies(blocks: list) -> list:
    return [inline_closurecall.copy.deepcopy(block) for block in blocks]


def test_the_broker_rules_install_the_inliner_with_the_pinned_numba():
    assert inline_closurecall.InlineWorker.inline_ir.shares_copies  # by engine.broker.jitted
    assert isinstance(inline_closurecall.copy, inlining._SharedMemoCopy)
    assert inlining.install() is True  # again: no change
    assert not hasattr(inline_closurecall.InlineWorker.inline_ir.__wrapped__, "shares_copies")


def test_blocks_copied_in_one_inline_call_share_one_copy_of_their_scope():
    """Inside ``inline_ir`` the blocks' copies have one scope, a copy of the source's (each
    variable copied once); outside it, as numba copies them, each block has its own."""
    blocks = list(run_frontend(_branchy).blocks.values())
    assert len(blocks) > 5 and len({id(b.scope) for b in blocks}) == 1
    shared = inlining._sharing(_copies)(blocks)
    assert len({id(b.scope) for b in shared}) == 1
    assert shared[0].scope is not blocks[0].scope
    assert set(shared[0].scope.localvars._con) == set(blocks[0].scope.localvars._con)
    assert [list(map(str, b.body)) for b in shared] == [list(map(str, b.body)) for b in blocks]
    assert len({id(b.scope) for b in _copies(blocks)}) == len(blocks)  # numba's own way
    again = inlining._sharing(_copies)(blocks)  # a new call: new copies, not the last ones
    assert again[0].scope is not shared[0].scope


KERNEL = (
    """
import re, sys
from numba import njit
if sys.argv[1] == "shared":
    from engine.broker import inlining
    assert inlining.install()

"""
    + inspect.getsource(_branchy)
    + """
part = njit(inline="always")(_branchy)

@njit
def kernel(xs, n):
    out = 0.0
    for x in xs:
        out += part(x, n) - part(-x, n + 1) * part(x * 0.5, 3)
    return out

kernel(__import__("numpy").linspace(-3.0, 3.0, 7), 4)
(signature,) = kernel.signatures
print(re.sub(r'"?\\.bytes\\.-?[0-9]+(\\.[0-9]+)?"?', "BYTES", kernel.inspect_asm(signature)))
"""
)


def _assembly(mode: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", KERNEL, mode],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=True,
    )
    return done.stdout


def test_a_kernel_compiles_to_the_same_machine_code_with_the_shared_copies():
    """The same kernel (a multi-block function inlined at three call sites) compiled in two
    processes, with and without ``install``: the same assembly, but for the names numba
    gives constant byte strings."""
    shared, numbas = _assembly("shared"), _assembly("numba")
    assert re.search(r"\bkernel\b", shared) and shared.count("\n") > 50
    assert shared == numbas
