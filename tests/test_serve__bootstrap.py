"""What ``civicflow serve`` puts into the database before it serves: the demo staff
only on embedded defaults, never into a database an operator configured."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from civicflow.config import Settings
from civicflow.services import Services
from web.server import bootstrap
from workflow import Database


def _people(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(text("select count(*) from users")).scalar_one())


def test_bootstrap__embedded_defaults_import_the_demo_staff(tmp_path: Path) -> None:
    settings = Settings.from_env({"CIVICFLOW_DATA_DIR": str(tmp_path)})
    services = Services(settings)
    try:
        bootstrap(services, echo=lambda _: None)
        assert _people(services.db) > 0
    finally:
        services.close()


def test_bootstrap__a_configured_database_gets_no_demo_staff(
    committed: Database, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        {"CIVICFLOW_DATABASE_URL": committed.url, "CIVICFLOW_DATA_DIR": str(tmp_path)}
    )
    bootstrap(Services(settings, db=committed), echo=lambda _: None)
    assert _people(committed) == 0


def test_bootstrap__a_configured_directory_is_imported(committed: Database, tmp_path: Path) -> None:
    directory = Path(__file__).parent / "data" / "api" / "directory.yaml"
    settings = Settings.from_env(
        {
            "CIVICFLOW_DATABASE_URL": committed.url,
            "CIVICFLOW_DATA_DIR": str(tmp_path),
            "CIVICFLOW_DIRECTORY_FILE": str(directory),
        }
    )
    bootstrap(Services(settings, db=committed), echo=lambda _: None)
    assert _people(committed) == 5
