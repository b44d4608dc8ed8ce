"""adapters.csv_columns: columns formatted a column at a time are, byte for byte, the lines
``csv.writer`` writes for ``adapters.cells.csv_row`` of each row (what a sweep's
results.csv was made of before its parts were), over random values of every regime a float
takes (ties and near-ties of the 10th decimal, tiny, huge, NaN, infinities, negative zero),
integers of any size and any other value a cell may hold."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.cells import csv_row
from adapters.csv_columns import column_lines


def written(columns) -> bytes:
    """The reference: each row through csv.writer, its cells by csv_row."""
    plain = [list(c.tolist()) if isinstance(c, np.ndarray) else list(c) for c in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in zip(*plain, strict=True):
        writer.writerow(csv_row(row))
    return buffer.getvalue().encode()


def float_regimes(n: int, seed: int) -> np.ndarray:
    """n floats of every regime, shuffled: ordinary values, ties and near-ties of the 10th
    decimal, values rounding to 0 or across 1e-4 and 1e5, values of 16 and 17 significant
    digits at 10 decimals (whose repr is often shorter), tiny and huge magnitudes, integers,
    NaN, infinities and negative zero."""
    rng = np.random.default_rng(seed)
    k = n // 10
    ties = rng.integers(-(10**9), 10**9, k) / 2.0 ** rng.integers(1, 30, k)
    tenths = (rng.integers(-(10**12), 10**12, k) + 0.5) / 1e10
    near = np.nextafter(tenths, rng.choice([-np.inf, np.inf], k))
    rounded = np.array(
        [
            round(x, int(d))
            for x, d in zip(rng.normal(0, 50, k), rng.integers(0, 13, k), strict=True)
        ]
    )
    edges = np.concatenate(
        [
            rng.uniform(4e-5, 2e-4, k // 2),
            rng.uniform(9.99e4, 1.001e5, k // 2),
            rng.uniform(1e5, 1e7, k // 2),
            rng.uniform(-1e-10, 1e-10, k // 2),
            [99999.99999999999, 99999.999999999985, 1e5, 1e-4, 9.99999999995e-5, 5e-11, 4.9e-11],
        ]
    )
    wide = np.exp(rng.uniform(-700, 700, k)) * rng.choice([-1.0, 1.0], k)
    ordinary = rng.normal(0, 1, k) * 10.0 ** rng.integers(-6, 7, k)
    whole = rng.integers(-(10**6), 10**6, k).astype(np.float64)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, -1.7976931348623157e308] * 20)
    values = np.concatenate([ties, tenths, near, rounded, edges, wide, ordinary, whole, special])
    values = values * rng.choice([-1.0, 1.0], len(values))
    rng.shuffle(values)
    return values


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_float_columns_are_the_cells_csv_row_writes(seed):
    """Float arrays and lists of Python floats (with None): the same bytes as csv_row's
    repr(round(x, 10) + 0.0), empty for NaN, infinities and None."""
    values = float_regimes(60_000, seed)
    as_list = [None if i % 7 == 0 else v for i, v in enumerate(values.tolist())]
    columns = [np.arange(len(values)), values, as_list, values[::-1].copy()]
    assert column_lines(columns) == written(columns)


def test_ties_of_the_tenth_decimal_round_half_even_as_round_does():
    """x·10¹⁰ exactly half way (1/2048 = 0.00048828125): rounded as ``round`` rounds them."""
    values = np.arange(-4096, 4097) / 2048.0 / 1000
    columns = [values, list(values.tolist())]
    assert column_lines(columns) == written(columns)
    assert b"0.0004882812," in column_lines([np.array([1 / 2048]), [0]])


def test_integer_columns_of_any_size():
    """int64 arrays to their extremes, unsigned ones, Python ints beyond int64 and bools."""
    rng = np.random.default_rng(4)
    signed = rng.integers(-(2**63), 2**63 - 1, 5000, dtype=np.int64)
    signed[:6] = [0, -1, 1, 2**63 - 1, -(2**63) + 1, 10**18]
    small = rng.integers(-1000, 1000, 5000)
    columns = [
        signed,
        small,
        small.astype(np.uint16),
        [int(v) * 10**20 for v in small],
        [bool(v % 2) for v in small],
        list(small.tolist()),
    ]
    assert column_lines(columns) == written(columns)
    least = [np.array([-(2**63), 5], dtype=np.int64), ["a", "b"]]
    assert column_lines(least) == written(least)


def test_other_cells_are_quoted_as_csv_writer_quotes_them():
    """Text needing quotes (commas, quotes, line breaks), empty text, unicode, a NUL byte,
    mixed types, unhashable values, a column of one repeated value and rows of empty
    cells."""
    texts = ["plain", "a,b", 'say "hi"', "two\nlines", "", " lead", "ünï", "cr\r"]
    mixed = [1, 1.0, True, "1", None, -0.0, float("nan"), 2**70]
    n = len(texts) * len(mixed)
    columns = [
        [texts[i % len(texts)] for i in range(n)],
        [mixed[i % len(mixed)] for i in range(n)],
        ["GOOG"] * n,
        [[1, 2] if i % 2 else {"a": 1} for i in range(n)],
        [None] * n,
        [""] * n,
    ]
    assert column_lines(columns) == written(columns)
    assert column_lines([["x\0y", "z"], [1, 2]]) == written([["x\0y", "z"], [1, 2]])
    assert column_lines([[None, None], [None, None]]) == b",\n,\n"


def test_a_single_column_and_no_rows():
    """One column (csv quotes a row of one empty cell) and none at all."""
    assert column_lines([["", "a", None]]) == written([["", "a", None]]) == b'""\na\n""\n'
    assert column_lines([[], np.array([])]) == b"" and column_lines([]) == b""
    with pytest.raises(ValueError, match="length"):
        column_lines([[1, 2], [3]])


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.none(),
    st.booleans(),
    st.text(max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=20).flatmap(
        lambda rows: st.lists(
            st.one_of(
                st.lists(cells, min_size=rows, max_size=rows),
                st.lists(st.floats(), min_size=rows, max_size=rows),
                st.lists(st.floats(), min_size=rows, max_size=rows).map(np.array),
                st.lists(st.integers(-(2**63), 2**63 - 1), min_size=rows, max_size=rows).map(
                    lambda v: np.array(v, dtype=np.int64)
                ),
            ),
            min_size=2,
            max_size=6,
        )
    )
)
def test_any_columns_are_what_csv_writer_writes(columns):
    """Columns of any values hypothesis draws: the same bytes."""
    assert column_lines(columns) == written(columns)
