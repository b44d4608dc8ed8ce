"""kinds.runs.font_cache: a Job's empty MPLCONFIGDIR is seeded from the font list built into
the image."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinds.runs.font_cache import seed_font_cache


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "fontlist-v3.11.0.json").write_text('{"seeded": true}', encoding="utf-8")
    return folder


def test_an_empty_config_dir_gets_the_image_font_list(seed, tmp_path, monkeypatch):
    target = tmp_path / "tmp" / "matplotlib"
    monkeypatch.setenv("MPL_FONT_CACHE", str(seed))
    monkeypatch.setenv("MPLCONFIGDIR", str(target))
    seed_font_cache()
    assert (target / "fontlist-v3.11.0.json").read_text(encoding="utf-8") == '{"seeded": true}'


def test_a_font_list_already_there_is_kept(seed, tmp_path, monkeypatch):
    target = tmp_path / "mpl"
    target.mkdir()
    (target / "fontlist-v3.11.0.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("MPL_FONT_CACHE", str(seed))
    monkeypatch.setenv("MPLCONFIGDIR", str(target))
    seed_font_cache()
    assert (target / "fontlist-v3.11.0.json").read_text(encoding="utf-8") == "{}"


def test_without_a_seed_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("MPL_FONT_CACHE", raising=False)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    seed_font_cache()
    assert not (tmp_path / "mpl").exists()


def test_a_seed_matplotlib_accepts_is_read_instead_of_rebuilt(tmp_path, monkeypatch):
    """The seeded list is matplotlib's own format: a process loading it builds nothing."""
    import subprocess
    import sys

    seed = tmp_path / "seed"
    build = {"MPLCONFIGDIR": str(seed)}
    code = "import matplotlib.font_manager"
    subprocess.run([sys.executable, "-c", code], env=build, check=True)
    target = tmp_path / "job-tmp"
    env = {"MPL_FONT_CACHE": str(seed), "MPLCONFIGDIR": str(target)}
    probe = (
        "from kinds.runs.font_cache import seed_font_cache; seed_font_cache();"
        "import logging; logging.basicConfig(level=logging.INFO);"
        "import matplotlib.font_manager"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "generated new fontManager" not in result.stderr
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in seed.iterdir())
