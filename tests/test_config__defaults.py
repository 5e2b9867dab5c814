"""Settings' defaults work wherever Civicflow is installed: data under the working
directory's ``var/``, the example definitions and demo directory from the package
(which, in a checkout, are the repository's own files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.config import Settings

ROOT = Path(__file__).parent.parent


def test_data__lands_in_var_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.data_dir == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'civicflow.db'}"


def test_examples__in_a_checkout_are_the_repository_files() -> None:
    settings = Settings.from_env({})
    assert settings.definitions_dir == (ROOT / "definitions").resolve()
    assert settings.directory_file == (ROOT / "demo" / "directory.yaml").resolve()


def test_examples__the_variables_name_other_files(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "CIVICFLOW_DATA_DIR": str(tmp_path / "data"),
            "CIVICFLOW_DEFINITIONS_DIR": str(tmp_path / "defs"),
            "CIVICFLOW_DIRECTORY_FILE": str(tmp_path / "staff.yaml"),
        }
    )
    assert (settings.data_dir, settings.definitions_dir, settings.directory_file) == (
        tmp_path / "data",
        tmp_path / "defs",
        tmp_path / "staff.yaml",
    )
