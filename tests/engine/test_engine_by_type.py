"""``engine.broker.by_type``: a compiled function called with constants compiles once for
its argument types, and returns what numba's own ``njit`` returns for the same call."""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.broker.by_type import by_type


def _scaled(x, times, flip):
    return -x * times if flip else x * times


def _callers(callee):
    @njit
    def call_with_constants(x):
        return callee(x, 3, True) + callee(x, 7, False) + callee(x, 7, True)

    @njit
    def call_with_variables(x, times, flip):
        return callee(x, times, flip)

    return call_with_constants, call_with_variables


def test_a_function_called_with_constants_compiles_once_for_their_types():
    callee = by_type(nogil=True)(_scaled)
    constants, variables = _callers(callee)
    assert constants(2.0) == -6.0 + 14.0 - 14.0
    assert variables(2.0, np.int64(5), False) == 10.0
    assert len(callee.signatures) == 1
    assert "Literal" not in str(callee.signatures[0])


def test_numbas_njit_compiles_a_copy_for_each_constant_the_by_type_form_saves():
    callee = njit(nogil=True)(_scaled)
    constants, _ = _callers(callee)
    assert constants(2.0) == -6.0
    assert len(callee.signatures) == 3  # (3, True), (7, False), (7, True): one copy each
