"""``POST /hooks/{source}`` through the real app: a signed webhook starts a workflow;
each refusal is its documented problem and starts nothing (checked in the database)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import read
from tests.webhooks import SUBMITTED, signed, web_app
from workflow import Database, Engine, SystemClock
from workflow.store.models import InstanceRow, WebhookReceiptRow

URL = "/hooks/permit-portal"


@pytest.fixture
def client(committed: Database, tmp_path: Path) -> Any:
    with committed.transaction() as session:
        Engine(clock=SystemClock()).register(
            session, read("webhooks/portal-permit"), path="portal-permit.yaml"
        )
    return web_app(committed, tmp_path, CIVICFLOW_WEBHOOK_MAX_BODY="4096").test_client()


def post(client: Any, payload: Any, *, content_type: str = "application/json", **kw: Any) -> Any:
    headers, body = signed(payload, **kw)
    return client.post(URL, data=body, headers=headers, content_type=content_type)


def counts(db: Database) -> tuple[int, int]:
    with db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(InstanceRow)) or 0,
            session.scalar(select(func.count()).select_from(WebhookReceiptRow)) or 0,
        )


def test_hooks__a_signed_webhook_starts_the_workflow(client: Any, committed: Database) -> None:
    response = post(client, SUBMITTED)
    assert response.status_code == 201
    assert response.get_json()["result"] == "started"
    assert counts(committed) == (1, 1)


def test_hooks__a_replayed_id_answers_the_first_response(client: Any, committed: Database) -> None:
    first = post(client, SUBMITTED, message_id="msg_once")
    again = post(client, SUBMITTED | {"application_id": "A-9"}, message_id="msg_once")
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert again.headers["Webhook-Replayed"] == "true"
    assert counts(committed) == (1, 1)


@pytest.mark.parametrize(
    ("case", "status", "kind"),
    [
        ("bad signature", 401, "invalid-signature"),
        ("stale timestamp", 401, "invalid-signature"),
        ("malformed JSON", 400, "malformed-request"),
        ("over-size body", 413, "payload-too-large"),
        ("input schema", 422, "invalid-data"),
        ("content type", 415, "unsupported-media-type"),
    ],
)
def test_hooks__a_refused_webhook_gets_its_problem_and_starts_nothing(
    client: Any, committed: Database, case: str, status: int, kind: str
) -> None:
    options: dict[str, Any] = {}
    payload: Any = SUBMITTED
    if case == "bad signature":
        options["secret"] = "whsec_" + "B" * 32
    elif case == "stale timestamp":
        options["skew"] = timedelta(minutes=-6)
    elif case == "malformed JSON":
        payload = b'{"application_id": "A-1",'
    elif case == "over-size body":
        payload = SUBMITTED | {"padding": "x" * 5000}
    elif case == "input schema":
        payload = SUBMITTED | {"site": {"address": 42}}
    elif case == "content type":
        options["content_type"] = "text/plain"
    response = post(client, payload, **options)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == f"urn:civicflow:problem:{kind}"
    assert counts(committed) == (0, 0)


def test_hooks__an_unknown_source_is_not_found(client: Any, committed: Database) -> None:
    headers, body = signed(SUBMITTED)
    response = client.post("/hooks/tax-portal", data=body, headers=headers, json=None)
    assert response.status_code == 404
    assert counts(committed) == (0, 0)
