"""The webhooks API honours Idempotency-Key like the rest of the API: a repeated
create replays the first 201 verbatim (the secret included) and subscribes once; a
repeated redelivery replays the first 202 and queues nothing again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from workflow import Database, FixedClock, WebhookStore
from workflow.store.models import WebhookDeliveryRow, WebhookSubscriptionRow

HOOK = {"url": "https://erp.example.gov/hook", "events": ["instance.started"]}
START = {"workflow": "approval", "input": {"applicant": "Jo", "address": "1 Main St"}}


def _subscriptions(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(WebhookSubscriptionRow)) or 0


def test_a_repeated_create_replays_the_first_201_with_its_secret(
    client: Any, make_token: Callable[..., dict[str, str]], committed: Database
) -> None:
    headers = make_token("webhooks:manage") | {"Idempotency-Key": "subscribe-erp"}
    first = client.post("/api/v1/webhooks", json=HOOK, headers=headers)
    second = client.post("/api/v1/webhooks", json=HOOK, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["secret"].startswith("whsec_")
    assert second.get_json() == first.get_json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _subscriptions(committed) == 1


def test_a_create_key_reused_for_another_body_is_refused(
    client: Any, make_token: Callable[..., dict[str, str]], committed: Database
) -> None:
    headers = make_token("webhooks:manage") | {"Idempotency-Key": "subscribe-erp"}
    assert client.post("/api/v1/webhooks", json=HOOK, headers=headers).status_code == 201
    other = HOOK | {"events": ["task.*"]}
    response = client.post("/api/v1/webhooks", json=other, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["type"] == "urn:civicflow:problem:idempotency-key-reused"
    assert _subscriptions(committed) == 1


def test_a_repeated_redelivery_replays_the_first_202_and_queues_nothing_again(
    client: Any,
    make_token: Callable[..., dict[str, str]],
    approval: str,
    committed: Database,
    clock: FixedClock,
) -> None:
    token = make_token()
    location = client.post("/api/v1/webhooks", json=HOOK, headers=token).headers["Location"]
    assert client.post("/api/v1/instances", json=START, headers=token).status_code == 201
    with committed.transaction() as session:
        assert WebhookStore(session).dispatch(clock.now()) >= 1
        delivery_id = session.scalar(select(WebhookDeliveryRow.id))
    retry = f"{location}/deliveries/{delivery_id}/retry"
    headers = token | {"Idempotency-Key": "redeliver-1"}
    first = client.post(retry, headers=headers)
    queued_at = clock.now()
    clock.advance(timedelta(hours=1))
    second = client.post(retry, headers=headers)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    with committed.transaction() as session:
        row = session.get(WebhookDeliveryRow, delivery_id)
        assert row is not None
        assert row.next_attempt_at.replace(tzinfo=None) == queued_at.replace(tzinfo=None)
