"""Validation and policy tests for docker-compose.yml and .env.example.

docker-compose.yml is validated against the Compose Specification schema bundled with
check-jsonschema (`--builtin-schema vendor.compose-spec`, no network). The policy tests resolve the
file's ${VAR} interpolation the way compose does, with the values of .env.example or with none.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import (
    KEDA_DIR,
    ROOT,
    broken_copy,
    cluster_mysql_image,
    configmap_literals,
    find_tool,
    image_tag,
    load_doc,
    run,
)

COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
APP_SERVICES = ("init-db", "web", "scaler")
SETTINGS = (
    "DATABASE_URL",
    "REDIS_URL",
    "RQ_QUEUE",
    "SWEEP_QUEUE",
    "SWEEP_MAX_PENDING_CHUNKS",
    "PORTFOLIO_MAX_MEMORY_MB",
    "DATA_DIR",
    "PORT",
    "WEB_CONCURRENCY",
    "IMAGE_TAG",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "RQ_JOB_TIMEOUT",
    "RQ_RESULT_TTL",
    "RQ_FAILURE_TTL",
    "CLAIM_FILE",
    "DB_RETRY_SECONDS",
    "SCALER_MANIFEST",
    "RQ_DASHBOARD_ENABLED",
    "AUTH_MODE",
    "SECRET_KEY",
    "SUBMIT_RATE_LIMIT",
    "PROXY_FIX_HOPS",
    "RESULT_RETENTION_DAYS",
    "MPLCONFIGDIR",
    "MYSQL_PASSWORD",
    "REDIS_PASSWORD",
)
_REFERENCE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariable(Exception):
    """A ${VAR:?message} reference with VAR unset, which makes compose refuse to start."""


def interpolate(value: object, env: dict[str, str]) -> object:
    """Compose-style interpolation of every string in a loaded compose document."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset = current is None or (current == "" and op is not None and op.startswith(":"))
        if op in {":-", "-"} and unset:
            return arg
        if op in {":?", "?"} and unset:
            raise MissingVariable(f"{name}: {arg}")
        return current or ""

    return _REFERENCE.sub(substitute, value)


def referenced_variables(value: object) -> set[str]:
    """Names of all variables a loaded compose document interpolates."""
    if isinstance(value, dict):
        return set().union(*(referenced_variables(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(referenced_variables(item) for item in value))
    if not isinstance(value, str):
        return set()
    return {
        m.group("name") or m.group("bare") for m in _REFERENCE.finditer(value) if m.group(0) != "$$"
    }


def env_example(include_commented: bool = False) -> dict[str, str]:
    """KEY=value pairs of .env.example (optionally also the commented-out examples)."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if include_commented:
            text = text.lstrip("#").strip()
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", text)
        if match:
            pairs[match.group(1)] = match.group(2)
    return pairs


@pytest.fixture(scope="module")
def raw() -> dict:
    """docker-compose.yml as written (YAML anchors and merge keys resolved)."""
    return load_doc(COMPOSE_FILE)


@pytest.fixture(scope="module")
def compose(raw: dict) -> dict:
    """docker-compose.yml interpolated with the values of .env.example."""
    return interpolate(raw, env_example())


def check_compose_schema(path: Path) -> tuple[int, str]:
    """Validate a compose file against the Compose Specification; (exit code, output)."""
    result = run(
        [find_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)]
    )
    return result.returncode, result.stdout + result.stderr


# --- schema -----------------------------------------------------------------------------------


def test_compose_file_matches_the_compose_spec() -> None:
    """docker-compose.yml is valid against the Compose Specification schema."""
    code, output = check_compose_schema(COMPOSE_FILE)
    assert code == 0, output


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    restart: unless-stopped\n", "    restartt: unless-stopped\n", "restartt"),
        ("  read_only: true", "  read_onlyy: true", "read_onlyy"),
        ("condition: service_healthy", "condition: healthy", "healthy"),
    ],
    ids=["typo-in-service", "typo-in-shared-anchor", "bad-depends-on-condition"],
)
def test_compose_schema_rejects_a_broken_copy(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """The validator bites: a typo'd key (also via the x-app anchor) or bad enum is reported."""
    broken = broken_copy(COMPOSE_FILE, tmp_path / "docker-compose.yml", old, new)
    code, output = check_compose_schema(broken)
    assert code != 0
    assert expected in output


# --- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [".env.example", "no .env"])
def test_every_image_is_tagged_and_never_latest(raw: dict, source: str) -> None:
    """With .env.example's values or only the file's defaults, every image has a non-latest tag."""
    env = env_example() if source == ".env.example" else {}
    env |= {"MYSQL_PASSWORD": "x", "REDIS_PASSWORD": "y"}
    for name, service in interpolate(raw, env)["services"].items():
        _, tag = image_tag(service["image"])
        assert tag not in {None, "", "latest"}, name


def test_app_services_share_one_image_tagged_by_image_tag(raw: dict) -> None:
    """init-db, web and scaler run stock-backtest:<IMAGE_TAG>, built with that tag."""
    env = {"IMAGE_TAG": "abc1234", "MYSQL_PASSWORD": "x", "REDIS_PASSWORD": "y"}
    services = interpolate(raw, env)["services"]
    for name in APP_SERVICES:
        assert services[name]["image"] == "stock-backtest:abc1234", name
        assert services[name]["build"]["args"]["IMAGE_TAG"] == "abc1234", name
        assert services[name]["environment"]["IMAGE_TAG"] == "abc1234", name


# --- services ---------------------------------------------------------------------------------


def test_app_services_run_their_entrypoints(compose: dict) -> None:
    """Each app service runs the fixed command of its role (web: the image's gunicorn CMD)."""
    services = compose["services"]
    assert services["init-db"]["command"][:4] == ["python", "-m", "web", "init-db"]
    # it retries on its own: podman-compose ignores `condition: service_healthy`
    assert services["init-db"]["command"][4] == "--wait"
    assert services["scaler"]["command"] == ["python", "-m", "consumer.scaler"]
    assert "command" not in services["web"]


def test_redis_has_a_password_aof_and_noeviction(compose: dict) -> None:
    """redis-server runs with appendonly yes, maxmemory-policy noeviction and the password."""
    redis = compose["services"]["redis"]
    args = redis["command"]
    flags = dict(zip(args[1::2], args[2::2], strict=False))
    assert args[0] == "redis-server"
    assert flags["--appendonly"] == "yes"
    assert flags["--maxmemory-policy"] == "noeviction"
    assert flags["--requirepass"] == env_example()["REDIS_PASSWORD"]
    assert redis["image"] == "redis:7"


def test_data_lives_in_named_volumes(compose: dict) -> None:
    """MySQL and Redis data (and the monitoring profile's) sit in named volumes, which `docker
    compose down` keeps."""
    assert compose["services"]["mysql"]["volumes"] == ["mysql-data:/var/lib/mysql"]
    assert compose["services"]["redis"]["volumes"] == ["redis-data:/data"]
    assert set(compose["volumes"]) == {
        "mysql-data",
        "redis-data",
        "prometheus-data",
        "grafana-data",
    }
    assert compose["services"]["mysql"]["image"] == cluster_mysql_image()


def test_init_db_runs_after_mysql_and_web_and_scaler_never_wait_on_the_one_shot(
    compose: dict,
) -> None:
    """init-db waits for a healthy MySQL. web and scaler wait for MySQL and Redis but never for
    the one-shot init-db: podman-compose cannot start a service whose dependency has exited
    (containers/podman-compose#683); the web's readiness waits for the migration instead."""
    services = compose["services"]
    assert services["init-db"]["depends_on"]["mysql"]["condition"] == "service_healthy"
    assert services["init-db"]["restart"] == "no"
    for name in ("web", "scaler"):
        assert "init-db" not in services[name]["depends_on"], name
        assert services[name]["depends_on"]["mysql"]["condition"] == "service_healthy", name
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name


def test_mysql_redis_and_web_have_healthchecks(compose: dict) -> None:
    """Health checks gate the start order; web's hits /ready with Python (no curl in slim), so
    it is healthy once the schema is migrated."""
    services = compose["services"]
    assert "mysqladmin" in services["mysql"]["healthcheck"]["test"]
    assert "PONG" in services["redis"]["healthcheck"]["test"][-1]
    web_check = services["web"]["healthcheck"]["test"]
    assert web_check[:2] == ["CMD", "python"]
    assert "/ready" in web_check[-1]
    for name in ("init-db", "scaler"):
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_web_publishes_the_app_port(compose: dict) -> None:
    """Port 5000 (PORT) is published and is the port gunicorn binds."""
    web = compose["services"]["web"]
    assert web["ports"] == ["5000:5000"]
    assert web["environment"]["PORT"] == "5000"


def test_app_containers_are_hardened(compose: dict) -> None:
    """Read-only root filesystem with a /tmp tmpfs, all capabilities dropped, no-new-privileges."""
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True, name
        assert service["tmpfs"] == ["/tmp"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_app_settings_match_the_kubernetes_configmap(raw: dict) -> None:
    """Without a .env, compose's defaults equal the k8s ConfigMap, so both deployments agree."""
    env = {"MYSQL_PASSWORD": "x", "REDIS_PASSWORD": "y"}
    environment = interpolate(raw, env)["services"]["web"]["environment"]
    for key, value in configmap_literals().items():
        assert environment[key] == value, key
    assert environment["DATABASE_URL"] == "mysql+pymysql://backtest:x@mysql:3306/backtest"
    assert environment["REDIS_URL"] == "redis://:y@redis:6379/0"


def test_every_app_service_gets_the_same_environment(compose: dict) -> None:
    """One environment block (the x-app anchor) for all app services, with every setting."""
    environments = [compose["services"][name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    expected = set(SETTINGS) - {"MYSQL_PASSWORD", "REDIS_PASSWORD"}
    assert set(environments[0]) == expected


def test_passwords_are_required_never_defaulted(raw: dict) -> None:
    """Compose refuses to start without MYSQL_PASSWORD / REDIS_PASSWORD (no built-in default)."""
    for missing in ("MYSQL_PASSWORD", "REDIS_PASSWORD"):
        env = {"MYSQL_PASSWORD": "x", "REDIS_PASSWORD": "y"}
        del env[missing]
        with pytest.raises(MissingVariable, match=missing):
            interpolate(raw, env)


def test_scaler_gets_time_to_let_running_consumers_finish(compose: dict) -> None:
    """The scaler's stop grace period exceeds its own 60 s grace for running consumers."""
    grace = compose["services"]["scaler"]["stop_grace_period"]
    assert grace.endswith("s") and int(grace[:-1]) > 60


def test_scaler_manifest_is_the_baked_scaledjob(compose: dict) -> None:
    """SCALER_MANIFEST points at both keda/ ScaledJobs inside the image's app dir."""
    path = compose["services"]["scaler"]["environment"]["SCALER_MANIFEST"]
    assert path == "/app/keda/scaledjob.yaml,/app/keda/scaledjob-sweeps.yaml"


# --- .env.example -----------------------------------------------------------------------------


def test_env_example_defines_every_variable_compose_uses(raw: dict) -> None:
    """Each ${VAR} of docker-compose.yml has a value in .env.example."""
    used = referenced_variables(raw)
    assert {"IMAGE_TAG", "MYSQL_PASSWORD", "REDIS_PASSWORD", "RQ_QUEUE"} <= used
    assert used - set(env_example()) == set()


def test_env_example_lists_every_setting() -> None:
    """Every setting of the app appears in .env.example (the URLs as commented examples)."""
    assert set(SETTINGS) - set(env_example(include_commented=True)) == set()
    assert not {"DATABASE_URL", "REDIS_URL"} & set(env_example())


def test_env_example_passwords_are_change_me_placeholders() -> None:
    """The secrets are obvious placeholders, marked change-me."""
    values = env_example(include_commented=True)
    for key in ("MYSQL_PASSWORD", "REDIS_PASSWORD"):
        assert values[key].startswith("change-me"), key
    for key in ("DATABASE_URL", "REDIS_URL"):
        assert "change-me" in values[key], key


def test_env_example_never_uses_latest() -> None:
    """IMAGE_TAG defaults to a real tag."""
    assert env_example()["IMAGE_TAG"] not in {"", "latest"}


def test_env_example_queue_matches_the_scaledjob() -> None:
    """RQ_QUEUE of .env.example is the queue the ScaledJob (and the local scaler) watches."""
    scaledjob = yaml.safe_load((KEDA_DIR / "scaledjob.yaml").read_text(encoding="utf-8"))
    list_name = scaledjob["spec"]["triggers"][0]["metadata"]["listName"]
    assert list_name == f"rq:queue:{env_example()['RQ_QUEUE']}"


# --- monitoring profile -----------------------------------------------------------------------


def test_monitoring_is_an_opt_in_profile_of_pinned_images(compose: dict) -> None:
    """Prometheus and Grafana start only with --profile monitoring, on pinned versions, published
    on localhost only; the default stack is unchanged."""
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"], name
        _, tag = image_tag(services[name]["image"])
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), name
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"]), name
    assert all("profiles" not in services[name] for name in APP_SERVICES)


def test_monitoring_provisioning_files_exist_and_point_at_the_web(compose: dict) -> None:
    """Every file the profile mounts exists; Prometheus scrapes web:<PORT>/metrics and Grafana's
    datasource is that Prometheus."""
    for name in ("prometheus", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (COMPOSE_FILE.parent / source).is_file(), source
    config = load_doc(COMPOSE_FILE.parent / "compose/monitoring/prometheus.yml")
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == [
        f"web:{compose['services']['web']['environment']['PORT']}"
    ]
    datasource = load_doc(COMPOSE_FILE.parent / "compose/monitoring/grafana/datasource.yml")
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_the_profiles_prometheus_config_passes_promtool() -> None:
    config = COMPOSE_FILE.parent / "compose/monitoring/prometheus.yml"
    result = run([find_tool("promtool"), "check", "config", "--syntax-only", str(config)])
    assert result.returncode == 0, result.stdout + result.stderr
