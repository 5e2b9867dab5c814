"""Civicflow installed as a wheel, outside any checkout, runs ``civicflow demo``.

The wheel is built from a copy of what the Dockerfile copies into its image (so the
build leaves nothing in the checkout), installed into a fresh virtual environment,
and run from an empty directory: the example definitions and demo directory must come
from the package, and the data must land in that directory's ``var/``, never in
site-packages. Every file the packages hold (templates, static files, migrations,
examples) must be installed.

The wheel goes in with ``--no-deps``; its dependencies are the ones this test run
already has, added to the new environment's path by a ``.pth`` file written after the
install, and the build uses this run's setuptools (a development dependency), so the
test needs no package index. Resolving and installing everything afresh took 15-45 s
here, mostly index round trips, and would test pip rather than the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# What the wheel is built from: the Dockerfile's COPY lines.
PACKAGES = ("workflow", "web", "integrations", "civicflow")
SOURCES = ("pyproject.toml", "README.md", *PACKAGES)
EXAMPLES = ("definitions", "demo")  # reached through the links in civicflow/examples/


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@dataclass(frozen=True)
class Installed:
    source: Path  # what the wheel was built from
    venv: Path
    site_packages: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A fresh virtual environment with the Civicflow wheel (and this run's packages)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in (*SOURCES, *EXAMPLES):
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    build = ("wheel", "-q", "--no-deps", "--no-build-isolation", "-w", work / "dist", source)
    run(sys.executable, "-m", "pip", *build)  # with this run's setuptools: no index
    [wheel] = (work / "dist").glob("civicflow-*.whl")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(run(python, "-c", purelib).strip())
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (site_packages / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return Installed(source, venv, site_packages)


@pytest.fixture
def venv(installed: Installed) -> Path:
    return installed.venv


def clean_env() -> dict[str, str]:
    """This environment without Civicflow settings or a Python path into the checkout."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CIVICFLOW_") and name not in ("PYTHONPATH", "VIRTUAL_ENV")
    }


def test_demo__runs_from_an_empty_directory_and_keeps_its_data_in_var(
    venv: Path, tmp_path: Path
) -> None:
    out = run(venv / "bin" / "civicflow", "demo", cwd=tmp_path, env=clean_env())
    assert f"database: sqlite:///{tmp_path / 'var' / 'civicflow.db'}" in out
    assert "ended in 'approved' (completed)" in out
    assert out.rstrip().endswith("intact")
    assert (tmp_path / "var" / "civicflow.db").is_file()
    assert list(venv.rglob("*.db")) == []


def test_examples__come_from_the_installed_package(venv: Path, tmp_path: Path) -> None:
    show = "from civicflow.config import Settings; s = Settings.from_env({}); "
    show += "print(s.definitions_dir); print(s.directory_file)"
    out = run(venv / "bin" / "python", "-c", show, cwd=tmp_path, env=clean_env())
    definitions, directory = (Path(line) for line in out.splitlines())
    assert definitions.is_relative_to(venv) and directory.is_relative_to(venv)
    assert sorted(p.name for p in definitions.glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "definitions").glob("*.yaml")
    )
    assert directory.read_bytes() == (ROOT / "demo" / "directory.yaml").read_bytes()


def test_wheel__carries_every_file_the_packages_hold(installed: Installed) -> None:
    # Templates, static files, migrations, examples: a file left out of the package
    # data breaks only the installed application, so every one is checked.
    def files(root: Path) -> set[str]:
        found = set()
        for package in PACKAGES:
            for folder, _dirs, names in os.walk(root / package, followlinks=True):
                if "__pycache__" not in folder:
                    found |= {str((Path(folder) / n).relative_to(root)) for n in names}
        return found

    assert files(installed.source) - files(installed.site_packages) == set()
