"""The strategy sandbox inside the image, in a container started like the consumer's Job.

Every container here gets the flags ``consumer.pod_template`` derives from keda/scaledjob.yaml's
pod template (user 10001, read-only root, every capability dropped, no-new-privileges, the
/tmp emptyDir, the cpu and memory limits, the ConfigMap and Secret environment) with only
its command replaced: the consumer's own process is where the sandbox's parent runs. The
escape battery (tests/sandbox/test_sandbox_escape.py, imported, not copied) runs there under
pytest, which the runtime image does not ship: pytest and its three dependencies are copied
from this interpreter into a read-only volume, the battery's files into another at
/app/tests. A plain strategy's answer inside the image equals its answer on this machine.

Figures (``-s``): the battery's time in the container, a sandbox's start to "ready" there.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import pytest

from tests.deploy.pods import Exited, Pods, consumer_settings
from tests.sandbox.test_sandbox_escape import ATTACKS, X86_64, Attack

pytestmark = [pytest.mark.slow, pytest.mark.container]

TESTS_DIR = Path(__file__).resolve().parents[1]
BATTERY_TEST = "test_an_attack_fails_inside_the_sandbox_and_the_parent_sees_nothing"
POD_SECRET = "pod-secret-a7f3c1"
"""The Secret's database password in the container's environment (and /proc/1/environ)."""
TEST_LIBRARIES = ("pytest", "pluggy", "iniconfig", "packaging", "pygments")
"""pytest and what it imports: pure Python, copied from this interpreter's environment."""


@pytest.fixture(scope="module")
def test_libraries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``TEST_LIBRARIES`` exactly as installed here (files and metadata),
    readable by the container's user."""
    folder = tmp_path_factory.mktemp("test-libraries")
    for name in TEST_LIBRARIES:
        distribution = metadata.distribution(name)
        for file in distribution.files or ():
            source = Path(distribution.locate_file(file))
            if file.parts[0] == ".." or not source.is_file():
                continue  # console scripts in bin/, not needed with `python -m pytest`
            target = folder / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


@pytest.fixture
def pods(engine_env, image, tmp_path):
    addresses = {
        "DATABASE_URL": f"mysql+pymysql://backtest:{POD_SECRET}@127.0.0.1:3306/backtest",
        "REDIS_URL": f"redis://:{POD_SECRET}@127.0.0.1:6379/0",
        "MYSQL_PASSWORD": POD_SECRET,
        "REDIS_PASSWORD": POD_SECRET,
    }
    pods = Pods(engine_env, image, tmp_path / "pods", addresses)
    yield pods
    pods.close()


def in_consumer_pod(pods: Pods, command: tuple[str, ...], *volumes: str, **env: str) -> Exited:
    """``command`` in a container of the consumer's pod template, run to its end."""
    settings = replace(consumer_settings(), command=command)
    return pods.run(settings, env, volumes=volumes, timeout=600)


def test_the_escape_battery_fails_every_attack_inside_the_consumers_container(
    pods: Pods, test_libraries: Path
):
    """All of the battery, each attack in a fresh sandbox started by a process of the
    consumer's container: environment and /proc (the pod's PID 1 holds the Secret), secret
    files and config, sockets to MySQL, Redis, the web and any address, fork, exec, ctypes and
    raw system calls, the parent signalled or traced, writes outside scratch, memory, CPU,
    disk, descriptors and output exhausted."""
    report = "/tmp/battery.xml"
    command = (
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--confcutdir=tests/sandbox",  # not tests/conftest.py: its demo-data copy needs git
        f"--junitxml={report}",
        "tests/sandbox/test_sandbox_escape.py",
    )
    job = in_consumer_pod(
        pods,
        command,
        f"{TESTS_DIR}:/app/tests:ro",
        f"{test_libraries}:/opt/test-libraries:ro",
        PYTHONPATH="/opt/test-libraries",
    )
    print(f"\nescape battery in the consumer's container: {job.seconds:.1f} s")
    assert job.code in (0, 1), job.logs  # 1: a test failed, judged below
    assert POD_SECRET not in job.logs

    suite = ET.parse(next(iter(job.empty_dirs.values())) / Path(report).name).getroot()
    outcomes: dict[str, str] = {}
    for case in suite.iter("testcase"):
        ending = [child for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name", "")] = (
            f"{ending[0].tag}: {ending[0].get('message', '')} {ending[0].text or ''}"
            if ending
            else "passed"
        )

    def judged(attack: Attack) -> str:
        found = outcomes.get(f"{BATTERY_TEST}[{attack.name}]", "not run")
        return found if found.startswith(("passed", "skipped")) else found[:2000]

    battery = {attack.name: judged(attack) for attack in ATTACKS}
    expected = {
        attack.name: "passed" if X86_64 or "raw(" not in attack.body else "skipped"
        for attack in ATTACKS
    }
    assert {name: state for name, state in battery.items() if state != expected[name]} == {}
    assert sum(state == "passed" for state in battery.values()) >= 40
    others = {name: state for name, state in outcomes.items() if not name.startswith(BATTERY_TEST)}
    assert len(others) >= 4 and set(others.values()) == {"passed"}, others


PLAIN_STRATEGY = textwrap.dedent(
    """\
    import csv

    def main(p):
        with open(p['data'], newline='') as stream:
            closes = [float(row['Close']) for row in csv.DictReader(stream)]
        cash, shares, fast, slow = 10_000.0, 0, 10, 30
        for day in range(slow, len(closes)):
            above = sum(closes[day - fast:day]) / fast > sum(closes[day - slow:day]) / slow
            if above and shares == 0:
                shares, cash = int(cash // closes[day]), cash % closes[day]
            elif not above and shares:
                cash, shares = cash + shares * closes[day], 0
        open('equity.txt', 'w').write(repr(cash + shares * closes[-1]))
        return {'bars': len(closes), 'equity': round(cash + shares * closes[-1], 6)}
    """
)
"""A moving-average crossover on a file of the image's data, with a note in its scratch."""

PLAIN_RUN = textwrap.dedent(
    """\
    import json, os, sys
    from sandbox import Limits, Sandbox
    from sandbox.launcher import read_only_paths
    from sandbox.seccomp import load_library

    source, data = sys.argv[1], sys.argv[2]
    load_library()
    with Sandbox(source, Limits.from_environment(), [data]) as box:
        value = box.call('main', {'data': data})
        print(json.dumps({
            'value': value,
            'landlock_abi': box.landlock_abi,
            'ready_ms': round(box.ready_seconds * 1000, 1),
            'read_only': {path: os.access(path, os.W_OK) for path in read_only_paths([data])},
        }))
    """
)
"""The consumer's side of a sandboxed run: the strategy's value and what the child was given."""


def test_a_plain_strategy_runs_in_the_images_sandbox_and_answers_as_it_does_here(
    pods: Pods, demo_data_dir: Path
):
    job = in_consumer_pod(pods, ("python", "-c", PLAIN_RUN, PLAIN_STRATEGY, "/app/data/ACME.csv"))
    assert job.code == 0, job.logs
    found = json.loads(job.logs.strip().splitlines()[-1])
    print(f"\nsandbox start to ready in the consumer's container: {found['ready_ms']} ms")

    here = demo_data_dir / "ACME.csv"  # the tracked file the image ships
    from sandbox import Limits, Sandbox

    with Sandbox(PLAIN_STRATEGY, Limits.from_environment(), [here]) as box:
        assert found["value"] == box.call("main", {"data": str(here)})
    assert found["value"]["bars"] > 1000
    assert found["landlock_abi"] >= 6
    # What Landlock grants the child exists in the image, read-only to the consumer's user.
    assert {"/opt/venv", "/app/data/ACME.csv"} <= set(found["read_only"])
    assert not any(found["read_only"].values()), found["read_only"]


def test_the_image_ships_libseccomp_where_the_loader_finds_it(pods: Pods):
    """The seccomp layer loads ``libseccomp.so.2`` by its soname (Debian's libseccomp2)."""
    job = in_consumer_pod(pods, ("sh", "-c", "ldconfig -p | grep -F libseccomp.so.2"))
    assert job.code == 0, job.logs
    assert job.logs.split()[0] == "libseccomp.so.2", job.logs
