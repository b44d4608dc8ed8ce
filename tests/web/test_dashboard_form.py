"""Tests for web/pages/form_fields.py: the form's hints agree with what the server accepts
(``kinds.runs.contract.parse_request``), bound by bound and default by default, and the run
form has an input for every field of the request model."""

from __future__ import annotations

import json
import math
import re

import pytest

from data.adjust import RAW
from engine.param_specs import ENTRY_ORDER_TYPES
from kinds.runs.contract import RequestError, parse_request
from web.pages.form_fields import (
    CLOSE_AT_END,
    ENTRY_ORDER,
    NUMBER_FIELDS,
    TRADING_FIELDS,
    FormField,
)

BASE = {"ticker": "ACME", "rule_type": "RSI", "start_date": "2020-01-01", "end_date": "2020-12-31"}

NUMERIC = [f for f in TRADING_FIELDS if not f.choices]
CHOICES = [f for f in TRADING_FIELDS if f.choices]


COMPANIONS = {"take_profit_pct": 5.0}
"""A value for each field another one ``needs`` (``FormField.needs``)."""


def _with_needs(fields: dict) -> dict:
    """``fields`` with a value for each field one of them needs and they do not set."""
    needs = {f.needs for f in TRADING_FIELDS if f.name in fields and f.needs}
    return {**{name: COMPANIONS[name] for name in needs}, **fields}


def accepted(**fields) -> bool:
    """Whether the server's validation takes BASE with ``fields`` (and what they need)."""
    try:
        parse_request({**BASE, **_with_needs(fields)})
    except RequestError:
        return False
    return True


def refused_field(**fields) -> str:
    """The field the server's validation names for BASE with ``fields`` (and what they
    need)."""
    with pytest.raises(RequestError) as caught:
        parse_request({**BASE, **_with_needs(fields)})
    return caught.value.field


def test_a_field_off_its_default_without_the_field_it_needs_is_refused_naming_it():
    """take_profit_fraction below 1 needs take_profit_pct: refused naming it without."""
    needing = [f for f in TRADING_FIELDS if f.needs]
    assert [f.name for f in needing] == ["take_profit_fraction"]
    for field in needing:
        value = math.nextafter(field.max, 0)
        with pytest.raises(RequestError) as caught:
            parse_request({**BASE, field.name: value})
        assert caught.value.field == field.name
        assert accepted(**{field.name: value})


@pytest.mark.parametrize("field", TRADING_FIELDS, ids=lambda f: f.name)
def test_defaults_are_the_servers_defaults(field: FormField):
    """A field left out of a request gets the value the form shows by default (a price
    adjustment left out is ``raw``, which the contract stores as no field)."""
    value = getattr(parse_request(BASE), field.name)
    if field.name == "price_adjustment" and value is None:
        value = RAW
    assert value == field.default


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
    """Only the stops, the costs beyond fee_rate, the volume limit and the fixed spread may
    be left empty; the form then sends nothing and the run has no stop, charges no such
    cost and fills whole."""
    from engine import COST_FIELDS, STOP_FIELDS

    optional = tuple(f.name for f in TRADING_FIELDS if f.optional)
    assert optional == (*STOP_FIELDS, *COST_FIELDS, "volume_limit", "spread_bps")
    assert all(f.default is None for f in TRADING_FIELDS if f.optional)
    params = parse_request(BASE).trading_params()
    assert not params.has_stops and not params.has_costs and not params.liquid


def test_the_sweepable_fields_are_the_ones_a_grid_and_a_space_take():
    """The sweep, walk-forward and study forms offer exactly the trading fields the server
    sweeps and searches: the stops and the scaling fields, never a cost."""
    from kinds.sweeps.grid import SWEPT_TRADING

    sweepable = tuple(f.name for f in TRADING_FIELDS if f.sweepable)
    assert sweepable == SWEPT_TRADING
    assert {"max_entries", "exit_fraction", "take_profit_fraction"} <= set(sweepable)


NOT_FORM_INPUTS = {
    "run_id": "a new one per submission",
    "rule_id": "derived from the rule and its params",
    "charts": "the page draws its own charts: the form sends false",
    "name": "a label, set on the run's page",
    "tags": "a label, set on the run's page",
    "notes": "a label, set on the run's page",
    "strategy_code": "drawn by form.js only when the rule is PYTHON (test_browser_python)",
    "strategy_class": "drawn by form.js only when the rule is PYTHON (test_browser_python)",
    "capacity_capitals": "the capacity checkbox takes the 12 default capitals; a list of "
    "others is sent through the API or the client",
    "refs": "drawn by form.js only when the rule is PYTHON (test_browser_python)",
    **dict.fromkeys(
        ("margin", "trade_on_close", "hedging", "exclusive_orders"),
        "a PYTHON strategy's book setting: sent through the API or the client",
    ),
    "spread_model": "an estimated spread is sent through the API or the client; the form sets "
    "a fixed spread_bps",
}
"""Run request fields the form has no input for in its served HTML, and why."""


def _request_settings() -> dict[str, dict]:
    """Every field of the run request model by dotted path, with its JSON schema: nested
    models (``entry_order``) walked into, a nullable field by its non-null form."""
    from kinds.runs.request_model import RunRequestBody

    schema = RunRequestBody.model_json_schema()
    models = schema.get("$defs", {})

    def walk(properties: dict, prefix: str) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for name, field in properties.items():
            options = [o for o in field.get("anyOf", [field]) if o.get("type") != "null"]
            option = options[0] if options else {}
            ref = option.get("$ref", "").rsplit("/", 1)[-1]
            if ref in models:
                out |= walk(models[ref]["properties"], f"{prefix}{name}.")
            else:
                out[prefix + name] = option
        return out

    return walk(schema["properties"], "")


def test_the_run_form_has_an_input_for_every_field_of_the_request_model(client):
    """Walking the run request model: each field (``entry_order``'s included) but those of
    NOT_FORM_INPUTS has its input on the form, named by its dotted path in ``data-field``
    (the trading fields are drawn from the page's data), and a numeric input the page
    writes carries the model's bounds as min and max."""
    html = client.get("/").get_data(as_text=True)
    tags = {m.group(1): m.group(0) for m in re.finditer(r'<[^>]*data-field="([^"]+)"[^>]*>', html)}
    data = json.loads(re.search(r'id="form-data">(.*?)</script>', html).group(1))
    drawn = {field["name"] for field in data["trading_fields"]}
    assert data["entry_order"] == ENTRY_ORDER  # what the form's entry_order.js reads
    settings = _request_settings()
    assert {"entry_order.type", "entry_order.limit", "close_open_trades_at_end"} <= set(settings)
    for path, field in settings.items():
        if path in NOT_FORM_INPUTS:
            continue
        assert path in tags or path in drawn, f"the run form has no input for {path}"
        bounds = re.findall(r'\b(min|max)="([-0-9.]+)"', tags.get(path, ""))
        shown = {k: float(v) for k, v in bounds}
        if path in tags and "minimum" in field:
            assert shown.get("min") == field["minimum"], path
        if path in tags and "maximum" in field:
            assert shown.get("max") == field["maximum"], path
    select = html.split('id="f-entry-type"')[1].split("</select>")[0]
    options = re.findall(r'<option value="([^"]+)"', select)
    assert options == list(ENTRY_ORDER_TYPES)


def test_the_entry_order_inputs_are_the_request_models():
    """The form's entry order types, the texts each uses and valid_bars' bounds are those the
    server checks: a limit order without its limit text is refused naming it, one with it
    and its $name's value accepted, valid_bars beyond the form's max refused naming it."""
    assert ENTRY_ORDER["types"] == list(ENTRY_ORDER_TYPES)
    order = {"type": "limit", "limit": "close * (1 - $k/100)", "params": {"k": 1}}
    assert accepted(entry_order={**order, "valid_bars": ENTRY_ORDER["valid_bars"]["max"]})
    above = {**order, "valid_bars": ENTRY_ORDER["valid_bars"]["max"] + 1}
    assert refused_field(entry_order=above) == "entry_order.valid_bars"
    for kind, texts in ENTRY_ORDER["needs"].items():
        if texts:
            named = refused_field(entry_order={"type": kind})
            assert named in {f"entry_order.{text}" for text in texts}, kind
    assert CLOSE_AT_END.default is False
    assert parse_request({**BASE, "close_open_trades_at_end": True}).close_open_trades_at_end
