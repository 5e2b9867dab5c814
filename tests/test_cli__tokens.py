"""`civicflow token create|list|revoke`: printed once, stored hashed, revocable; the
API then accepts, records the use of, and after revocation refuses the token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from workflow.store.database import Database
from workflow.store.models import ApiTokenRow

ROOT = Path(__file__).parent.parent


def civicflow(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "civicflow", "token", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CIVICFLOW_DATABASE_URL": database.url},
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_create_prints_a_secret_that_is_stored_only_hashed(staff_directory: Database) -> None:
    result = civicflow(
        staff_directory,
        "create",
        "ci",
        "--scope",
        "tasks:act",
        "--user",
        "ben@planning.example.gov",
    )
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("cf_") and len(secret) > 40
    with staff_directory.transaction() as session:
        row = session.scalars(select(ApiTokenRow)).one()
    assert secret not in (row.token_hash, row.prefix)
    assert (row.user_email, row.scopes) == ("ben@planning.example.gov", ["tasks:act"])


def test_an_unknown_scope_is_refused(staff_directory: Database) -> None:
    result = civicflow(staff_directory, "create", "ci", "--scope", "everything")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_use_is_recorded_and_revocation_is_immediate(
    staff_directory: Database, client: Any
) -> None:
    secret = civicflow(staff_directory, "create", "ci", "--scope", "instances:read").stdout.strip()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/instances", headers=headers).status_code == 200
    listed = civicflow(staff_directory, "list").stdout
    assert "ci" in listed and "never" not in listed
    assert civicflow(staff_directory, "revoke", "ci").returncode == 0
    response = client.get("/api/v1/instances", headers=headers)
    assert response.status_code == 401
    assert "ci" not in civicflow(staff_directory, "list").stdout
