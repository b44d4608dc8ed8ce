"""config.process, the process environment's one reader: typed values with one default each,
shared with the web's Settings, and no pydantic on a consumer Job's import path."""

from __future__ import annotations

import ast
import io
import subprocess
import sys

import pytest

from config import process
from config.process import VARIABLES
from config.settings import Settings
from consumer.retention import retention_days
from kinds.runs.execute import max_bars
from tests.docs.test_docs import ROOT, project_modules


def test_a_value_is_parsed_and_a_blank_one_is_the_default() -> None:
    """Text becomes the variable's type, surrounding spaces ignored; empty or blank is unset."""
    assert process.RUN_MAX_BARS.value({"RUN_MAX_BARS": " 500 "}) == 500
    assert process.RUN_MAX_BARS.value({"RUN_MAX_BARS": "  "}) is None
    assert process.RUN_MAX_BARS.value({}) is None
    assert process.DB_RETRY_SECONDS.value({"DB_RETRY_SECONDS": "1.5"}) == 1.5
    assert process.CONSUMER_QUEUE.value({}) is None
    assert process.named("SWEEP_QUEUE", {"SWEEP_QUEUE": " s "}) == "s"
    assert process.named("SWEEP_QUEUE", {}) is None


def test_a_refused_value_is_a_value_error() -> None:
    """A text the variable's parser refuses raises ValueError when the value is read."""
    with pytest.raises(ValueError):
        process.RUN_MAX_BARS.value({"RUN_MAX_BARS": "lots"})
    with pytest.raises(ValueError, match="RESULT_RETENTION_DAYS must be a whole number"):
        retention_days({"RESULT_RETENTION_DAYS": "-1"})


def test_a_refused_value_is_one_line_naming_the_variable_and_its_default() -> None:
    """The error says which variable, what it must be and what unsetting it gives; an
    entry point prints it as one ``configuration error:`` line and exits 2."""
    with pytest.raises(process.ConfigurationError) as refused:
        process.RQ_JOB_TIMEOUT.value({"RQ_JOB_TIMEOUT": "ten"})
    assert refused.value.lines == [
        "RQ_JOB_TIMEOUT must be a whole number (seconds an item may take, or unset it for 900)"
    ]
    printed = io.StringIO()
    assert process.exit_code(refused.value, printed) == 2
    assert printed.getvalue() == f"configuration error: {refused.value.lines[0]}\n"


@pytest.mark.parametrize(
    ("parse", "text", "value"),
    [
        (process.whole_number, "0", 0),
        (process.positive_int, "+5", 5),
        (process.positive_seconds, "0.5", 0.5),
        (process.proxy_hops, "5", 5),
    ],
)
def test_a_number_parser_keeps_what_it_accepts(parse, text, value) -> None:
    """Each number parser converts the text and keeps a value inside its domain."""
    assert parse(text) == value


@pytest.mark.parametrize(
    ("parse", "text", "refusal"),
    [
        (process.whole_number, "+5", "must be a whole number of 0 or more: '+5'"),
        (process.whole_days, "-1", "RESULT_RETENTION_DAYS must be a whole number of days >= 0"),
        (process.positive_int, "0", "must be a whole number of 1 or more: '0'"),
        (process.positive_int, "many", "invalid literal for int()"),
        (process.positive_seconds, "inf", "must be a number of seconds above 0: 'inf'"),
        (process.proxy_hops, "6", "PROXY_FIX_HOPS must be 0 to 5: '6'"),
        (process.proxy_hops, "-1", "must be a whole number of 0 or more: '-1'"),
    ],
)
def test_a_number_parser_names_the_text_it_refuses(parse, text, refusal) -> None:
    """Outside its domain a parser says what the value must be and quotes the text; a text
    that is no number at all keeps the conversion's own words."""
    with pytest.raises(ValueError) as refused:
        parse(text)
    assert refusal in str(refused.value)


def test_an_optional_text_variable_is_none_until_set() -> None:
    """A variable without a default reads None when unset or blank, else its text."""
    image = process.optional_text("IMAGE_TAG", "the image's tag")
    assert image.value({}) is None
    assert image.value({"IMAGE_TAG": "  "}) is None
    assert image.value({"IMAGE_TAG": " v1 "}) == "v1"


def test_the_environment_is_read_when_a_value_is_asked_for(monkeypatch) -> None:
    """A module's accessor sees the environment as it is now (an entry point or a test may
    change it), through config.process."""
    monkeypatch.setenv("RUN_MAX_BARS", "123")
    assert max_bars() == 123
    monkeypatch.delenv("RUN_MAX_BARS")
    assert max_bars() == process.RUN_MAX_BARS.default


def test_every_variable_is_declared_once() -> None:
    """No two declarations name the same variable, and each has a description."""
    names = [variable.name for variable in VARIABLES]
    assert len(names) == len(set(names)) > 20
    assert all(variable.description for variable in VARIABLES)


def test_the_web_settings_take_the_defaults_they_share_with_the_process(monkeypatch) -> None:
    """Each Settings field that is also a process variable and has a default has the
    process's default: RUN_MAX_BARS is 20,000 for the web's check and the Job's alike."""
    shared = {v.name.lower(): v for v in VARIABLES} & Settings.model_fields.keys()
    for name in shared:
        monkeypatch.delenv(name.upper(), raising=False)
    defaults = {name: Settings.model_fields[name].default for name in shared}
    assert {"run_max_bars", "log_level", "log_format", "rq_dashboard_enabled"} <= shared
    for name, default in defaults.items():
        variable = next(v for v in VARIABLES if v.name.lower() == name)
        assert default is None or default == variable.default, name
    assert Settings().run_max_bars == max_bars() == process.RUN_MAX_BARS.default


def test_run_max_bars_default_is_written_only_in_config_process() -> None:
    """No module that names RUN_MAX_BARS (the web's Settings, the Job's execute…) writes
    20,000 itself: the default is config.process's, so the two limits cannot drift apart."""
    declaring = ROOT / "config" / "process.py"
    naming = [
        path
        for path in project_modules()
        if path != declaring and "run_max_bars" in path.read_text(encoding="utf-8").lower()
    ]
    places = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in naming
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value == 20_000
    ]
    assert {"config/settings.py", "kinds/runs/execute.py"} <= {
        str(path.relative_to(ROOT)) for path in naming
    }
    assert places == []


JOB_PATH = (
    "import config, config.process, consumer.__main__, consumer.worker, kinds.runs.kind, "
    "kinds.runs.execute, work.lifecycle, work.queue, store.dbapi, data"
)


def test_the_consumer_job_path_imports_no_pydantic() -> None:
    """Importing what a Job imports (config.process among it) loads neither pydantic nor
    pydantic_settings; asking config for Settings loads them then."""
    probe = (
        f"import sys; {JOB_PATH}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pydantic'))); "
        "from config import Settings; print('pydantic_settings' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.split() == ["[]", "True"], out.stdout + out.stderr


@pytest.mark.parametrize(
    ("environ", "cap"),
    [
        ({}, process.CLIENT_CONNECTIONS_DEFAULT),
        ({"PROXY_FIX_HOPS": "0"}, process.CLIENT_CONNECTIONS_DEFAULT),
        ({"PROXY_FIX_HOPS": "1"}, 0),
        ({"PROXY_FIX_HOPS": "1", "WEB_MAX_CLIENT_CONNECTIONS": "400"}, 400),
        ({"WEB_MAX_CLIENT_CONNECTIONS": "0"}, 0),
    ],
)
def test_the_client_connection_cap_is_off_behind_trusted_proxies_unless_set(environ, cap):
    """WEB_MAX_CLIENT_CONNECTIONS unset: 100 for clients that connect directly, none behind
    proxies (every peer is a proxy then); set, it is taken as given."""
    assert process.max_client_connections(environ) == cap


@pytest.mark.parametrize(
    ("read", "environ"),
    [
        (process.max_client_connections, {"WEB_MAX_CLIENT_CONNECTIONS": "-1"}),
        (process.max_client_connections, {"PROXY_FIX_HOPS": "6"}),
        (process.WEB_REQUEST_READ_TIMEOUT.value, {"WEB_REQUEST_READ_TIMEOUT": "0"}),
        (process.WEB_REQUEST_READ_TIMEOUT.value, {"WEB_REQUEST_READ_TIMEOUT": "inf"}),
    ],
)
def test_the_connection_limits_refuse_what_cannot_bound_anything(read, environ):
    """A negative cap, more hops than Settings allows, a read timeout of 0 or infinity: refused."""
    with pytest.raises(ValueError):
        read(environ)
