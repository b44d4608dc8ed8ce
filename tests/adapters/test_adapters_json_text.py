"""adapters.json_text: orjson's text kept only where it is json.dumps's, so every value, and
every float kind (signed zeros, subnormals, tiny values written as 1e-05, huge ones as
1e+16, NaN and infinities), writes the bytes ``json.dumps(..., allow_nan=False)`` gives or
fails as it does."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters._plain import float_list
from adapters.json_text import dumps, dumps_bytes, float_array, int_array, time_array
from adapters.timestamps import iso_json, iso_utc

EDGE_FLOATS = [0.0, -0.0, 1e-4, 9.999e-5, 1e-5, 1.5e-5, 1e-7, 2.5e-7, 1e-9, 1e-10, 5e-324]
EDGE_FLOATS += [2.2250738585072014e-308, 1e15, 9999999999999998.0, 1e16, 1.5e16, 1e17]
EDGE_FLOATS += [1.7976931348623157e308, 0.1 + 0.2, 123456.789, 100000.0, 56.46]
EDGE_FLOATS += [-x for x in EDGE_FLOATS] + [float("nan"), float("inf"), float("-inf")]

any_float = st.one_of(
    st.sampled_from(EDGE_FLOATS),
    st.floats(),  # NaN and infinities included
    st.integers(0, 2**64 - 1).map(lambda bits: float(np.uint64(bits).view(np.float64))),
    st.floats(min_value=-1e-3, max_value=1e-3),
    st.decimals(places=6, min_value=-1e7, max_value=1e7, allow_nan=False).map(float),
)
any_text = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["\x7f", "é", "\u2028", "\ud800", "a,0.00001", "e-5", "null", '"\\/\n\t']),
)
numpy_scalar = any_float.map(np.float64) | st.integers(-(2**63), 2**63 - 1).map(np.int64)
"""json writes a float64 as the float it is and refuses an int64; orjson refuses both here."""
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | any_float | any_text | numpy_scalar,
    lambda inner: st.lists(inner, max_size=24) | st.dictionaries(any_text, inner, max_size=6),
    max_leaves=60,
)


def _json(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _outcome(write, value):
    """The bytes ``write`` gives ``value``, or the type of the error it raises."""
    try:
        return write(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


@settings(max_examples=600, deadline=None)
@given(plain)
def test_any_plain_value_writes_json_dumps_bytes_or_fails_as_it_does(value):
    assert _outcome(dumps_bytes, value) == _outcome(_json, value)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({"price": any_float, "size": st.integers()}), max_size=80))
def test_a_long_list_of_records_with_a_few_odd_floats_writes_json_dumps_bytes(records):
    """The trades' shape: a list long enough to be written in parts when some of its
    records hold a tiny float or a NaN."""
    assert _outcome(dumps_bytes, records) == _outcome(_json, records)


def test_strings_and_keys_json_escapes_are_written_by_json():
    value = {"é": ["\x7f", "\u2028", "\ud800"], "k": "tab\there", "n": None}
    assert dumps(value) == json.dumps(value, separators=(",", ":"))


@settings(max_examples=300, deadline=None)
@given(st.lists(any_float, max_size=300))
def test_a_float_array_writes_json_dumps_of_its_float_list(values):
    """Non-finite values are null (``float_list``: results carry None), every finite
    float its json.dumps text."""
    array = np.array(values, dtype=np.float64)
    assert float_array(array) == _json(float_list(array))
    assert float_array(array[::2]) == _json(float_list(array[::2]))  # not contiguous


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=100), st.booleans())
def test_an_integer_or_boolean_array_writes_json_dumps_of_its_list(values, as_bool):
    array = np.array(values, dtype=np.int64)
    if as_bool:
        array = array > 0
    assert int_array(array) == _json(array.tolist())
    assert int_array(array.astype(np.int32) if not as_bool else array) == _json(
        (array.astype(np.int32) if not as_bool else array).tolist()
    )


FIRST, END = np.datetime64("0001-01-01", "s"), np.datetime64("10000-01-01", "s")
SPAN = int((END - FIRST).astype(np.int64))
INSIDE = int((np.datetime64("9999-01-01", "s") - FIRST).astype(np.int64))


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(0, INSIDE - 1), max_size=60),  # all of them orjson's
        st.lists(st.integers(-SPAN, 2 * SPAN), max_size=60),
    )
)
def test_timestamps_write_json_dumps_of_their_iso_texts_in_any_year(offsets):
    """Years 1 to 9998 by orjson, the rest (9999, five-digit years, before year 1) as
    numpy writes them; listed (``iso_utc``) or written (``iso_json``)."""
    moments = FIRST + np.array(offsets, dtype="timedelta64[s]")
    texts = [f"{text}+00:00" for text in np.datetime_as_string(moments, unit="s")]
    assert iso_utc(moments) == texts
    assert iso_json(moments) == json.dumps(iso_utc(moments), separators=(",", ":"))
    inside = (moments >= FIRST) & (moments < np.datetime64("9999-01-01", "s"))
    assert (time_array(moments) is None) == (not inside.all())
