"""Tests for web/pages/form_fields.py: the form's hints agree with what the server accepts
(``kinds.runs.contract.parse_request``), bound by bound and default by default."""

from __future__ import annotations

import math

import pytest

from kinds.runs.contract import RequestError, parse_request
from web.pages.form_fields import NUMBER_FIELDS, TRADING_FIELDS, FormField

BASE = {"ticker": "ACME", "rule_type": "RSI", "start_date": "2020-01-01", "end_date": "2020-12-31"}

NUMERIC = [f for f in TRADING_FIELDS if not f.choices]
CHOICES = [f for f in TRADING_FIELDS if f.choices]


def accepted(**fields) -> bool:
    """Whether the server's validation takes BASE with ``fields``."""
    try:
        parse_request({**BASE, **fields})
    except RequestError:
        return False
    return True


def refused_field(**fields) -> str:
    """The field the server's validation names for BASE with ``fields``."""
    with pytest.raises(RequestError) as caught:
        parse_request({**BASE, **fields})
    return caught.value.field


@pytest.mark.parametrize("field", TRADING_FIELDS, ids=lambda f: f.name)
def test_defaults_are_the_servers_defaults(field: FormField):
    """A field left out of a request gets the value the form shows by default."""
    assert getattr(parse_request(BASE), field.name) == field.default


@pytest.mark.parametrize("field", [f for f in NUMERIC if f.min is not None], ids=lambda f: f.name)
def test_inclusive_minimum_matches_the_server(field: FormField):
    """The HTML min is accepted; just below it is refused naming the field."""
    assert accepted(**{field.name: field.min})
    assert refused_field(**{field.name: math.nextafter(field.min, -math.inf)}) == field.name


@pytest.mark.parametrize("field", [f for f in NUMERIC if f.max is not None], ids=lambda f: f.name)
def test_inclusive_maximum_matches_the_server(field: FormField):
    """The HTML max is accepted; just above it is refused naming the field."""
    assert accepted(**{field.name: field.max})
    assert refused_field(**{field.name: math.nextafter(field.max, math.inf)}) == field.name


@pytest.mark.parametrize("field", [f for f in NUMERIC if f.gt is not None], ids=lambda f: f.name)
def test_exclusive_lower_bound_matches_the_server(field: FormField):
    """The exclusive lower bound itself is refused; the next number above it is accepted."""
    assert refused_field(**{field.name: field.gt}) == field.name
    assert accepted(**{field.name: math.nextafter(field.gt, math.inf)})


@pytest.mark.parametrize("field", [f for f in NUMERIC if f.lt is not None], ids=lambda f: f.name)
def test_exclusive_upper_bound_matches_the_server(field: FormField):
    """The exclusive upper bound itself is refused; the number just below it is accepted."""
    assert refused_field(**{field.name: field.lt}) == field.name
    assert accepted(**{field.name: math.nextafter(field.lt, -math.inf)})


@pytest.mark.parametrize(
    "field", [f for f in NUMERIC if f.percent_max is not None], ids=lambda f: f.name
)
def test_percent_cap_matches_the_server(field: FormField):
    """With size_type percent, the cap is accepted and anything above it refused."""
    assert accepted(size_type="percent", **{field.name: field.percent_max})
    above = math.nextafter(field.percent_max, math.inf)
    assert refused_field(size_type="percent", **{field.name: above}) == field.name
    assert accepted(size_type="value", **{field.name: above})


@pytest.mark.parametrize("field", CHOICES, ids=lambda f: f.name)
def test_choices_are_exactly_what_the_server_takes(field: FormField):
    """Every listed choice is accepted; another value is refused naming the field."""
    for choice in field.choices:
        assert accepted(position_size=10, **{field.name: choice})
    assert refused_field(**{field.name: "other"}) == field.name


def test_number_fields_are_the_fields_without_choices():
    """NUMBER_FIELDS are sent as JSON numbers; the server refuses them as strings."""
    assert set(NUMBER_FIELDS) == {f.name for f in NUMERIC}
    for name in NUMBER_FIELDS:
        assert refused_field(**{name: "1"}) == name


def test_the_optional_fields_are_the_stops_and_the_costs_and_are_off_when_left_out():
    """Only the stops and the costs beyond fee_rate may be left empty; the form then sends
    nothing and the run has no stop and charges no such cost."""
    from engine import COST_FIELDS, STOP_FIELDS

    optional = tuple(f.name for f in TRADING_FIELDS if f.optional)
    assert optional == (*STOP_FIELDS, *COST_FIELDS)
    assert all(f.default is None for f in TRADING_FIELDS if f.optional)
    params = parse_request(BASE).trading_params()
    assert not params.has_stops and not params.has_costs
