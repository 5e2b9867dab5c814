"""/healthz and /readyz answer without authentication; readiness needs the schema at head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from civicflow.config import Settings
from web import create_app


def test_healthz_answers_without_credentials(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["migrations"] == "current"


def test_readyz_is_not_ready_before_migrations(tmp_path: Path) -> None:
    settings = Settings.from_env({"CIVICFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    response = create_app(settings).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "urn:civicflow:problem:unavailable"
    assert response.get_json()["pending"]
