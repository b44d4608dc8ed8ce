"""A cache prefetch for the compiled walks: ``prefetch(values, i)`` asks the CPU to bring
the cache line holding ``values[i]`` (a 1-D array) in, without waiting for it and without
reading it (LLVM's ``llvm.prefetch``; an index past the end is never dereferenced).

The broker's step skips the bars without a signal (``engine.broker.step.walk_run``), so
the bar it lands on has prices on cache lines no sequential read brought in: each active
bar's first reads of its open, high, low, close, order prices and program leaves waited
on memory, most of a 1 M-bar run's walk. The walk asks for the lines of the signal bars
a few dozen bars ahead of the bar it walks; the loads then find them in cache. No result
changes: a prefetch has no effect but on timing.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_READ, _KEEP_ALL_LEVELS, _DATA = 0, 3, 1
"""``llvm.prefetch``'s arguments: a read, kept in every cache level, of data."""


@intrinsic
def prefetch(typingctx, values, index):
    """``prefetch(values, i)``: the cache line of ``values[i]`` requested (1-D array, int
    index; no bounds check, nothing read)."""
    if not (isinstance(values, types.Array) and values.ndim == 1):
        return None
    if not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        at = context.cast(builder, args[1], signature.args[1], types.intp)
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, array, [at], wraparound=False
        )
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function_type = ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32])
        function = cgutils.get_or_insert_function(
            builder.module, function_type, "llvm.prefetch.p0i8"
        )
        flags = [ir.Constant(i32, v) for v in (_READ, _KEEP_ALL_LEVELS, _DATA)]
        builder.call(function, [builder.bitcast(pointer, byte_pointer), *flags])
        return context.get_dummy_value()

    return types.void(values, index), codegen
