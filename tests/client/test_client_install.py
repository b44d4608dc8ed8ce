"""``python -m pip install ./backtest_client`` makes a working ``backtest_client`` outside the
repository: into a fresh virtual environment, offline (no build isolation, no dependency
download: the build backend and the dependencies come from the test's own environment)."""

from __future__ import annotations

import json
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.stack import PROJECT_ROOT

pytestmark = pytest.mark.slow

PROBE = """
import json, backtest_client, importlib.metadata as meta
from backtest_client import Client
print(json.dumps({"file": backtest_client.__file__, "version": meta.version("backtest-client"),
                  "requires": meta.requires("backtest-client"), "url": Client().url}))
"""


def test_pip_install_of_the_client_folder_works_from_outside_the_repository(tmp_path: Path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    # this environment's packages (pip, hatchling, requests, pandas) seen from the new one
    (site / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         str(PROJECT_ROOT / "backtest_client")],
        check=True,
        cwd=tmp_path,
    )  # fmt: skip
    outside = tmp_path / "notebooks"
    outside.mkdir()
    probe = subprocess.run(
        [python, "-c", PROBE],
        check=True,
        cwd=outside,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "BACKTEST_URL": "http://platform.example:8080"},
    )
    found = json.loads(probe.stdout)
    assert Path(found["file"]).is_relative_to(site)
    assert found["version"] == __import__("backtest_client").__version__
    required = [r for r in found["requires"] if "extra ==" not in r]
    assert sorted(r.split(">")[0] for r in required) == ["pandas", "requests"]
    extras = [r.replace('"', "'") for r in found["requires"] if "extra ==" in r]
    assert [r.split(">")[0] for r in extras if r.endswith("extra == 'optuna'")] == ["optuna"]
    # the notebook's result.equity.plot() needs matplotlib, which pandas does not bring
    assert [r.split(">")[0] for r in extras if r.endswith("extra == 'plot'")] == ["matplotlib"]
    assert found["url"] == "http://platform.example:8080"
    installed = {p.name for p in (site / "backtest_client").iterdir()}
    assert {"client.py", "frames.py", "py.typed"} <= installed
    assert not {"pyproject.toml", "README.md"} & installed  # its packaging stays out
