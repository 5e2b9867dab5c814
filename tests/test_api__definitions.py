"""Definitions through the API: upload YAML, list, one with versions and diagram."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from workflow.store.database import Database
from workflow.store.models import DefinitionRow

DATA = Path(__file__).parent / "data"
YAML = {"Content-Type": "application/yaml"}


def test_an_invalid_definition_is_422_with_line_and_column(
    client: Any, make_token: Callable[..., dict[str, str]], committed: Database
) -> None:
    source = (DATA / "invalid" / "unknown-key.yaml").read_bytes()
    response = client.post(
        "/api/v1/definitions", data=source, headers=make_token("definitions:write") | YAML
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "urn:civicflow:problem:invalid-definition"
    assert all(e["line"] >= 1 and e["column"] >= 1 and e["detail"] for e in body["errors"])
    with committed.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DefinitionRow)) == 0


def test_a_definition_has_its_versions_and_a_mermaid_diagram(
    client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    token = make_token("definitions:write")
    first = (DATA / "api" / "approval.yaml").read_text()
    second = first.replace("title: Cross-department approval", "title: Approval v2")
    for source in (first, second, second):
        client.post("/api/v1/definitions", data=source, headers=token | YAML)
    body = client.get("/api/v1/definitions/approval", headers=token).get_json()
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert (body["latest"], body["title"]) == (2, "Approval v2")
    assert body["mermaid"].startswith("flowchart")
    listed = client.get("/api/v1/definitions", headers=token).get_json()["items"]
    assert [(d["key"], d["version"]) for d in listed] == [("approval", 1), ("approval", 2)]
