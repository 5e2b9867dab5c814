"""End to end with API tokens: a definition uploaded through the API, a signed webhook
starts it, its tasks are acted on through the API (and a second webhook pays the fee),
and the worker's deliveries reach a real receiver on loopback — verified there with the
reference library, each event once by webhook-id and in order, though the receiver
failed the first two attempts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from integrations.egress import Egress
from integrations.outbound import DeliveryRunner, RetryPolicy
from tests.conftest import DATA
from tests.test_outbound__delivery import outbox_order, settle
from tests.webhooks import SUBMITTED, Receiver, fee_paid, signed, token_headers, web_app
from workflow import Database


def test_end_to_end__webhook_in_tasks_acted_signed_events_out(
    committed: Database, tmp_path: Path, make_token: Callable[..., dict[str, str]]
) -> None:
    client = web_app(committed, tmp_path).test_client()
    author = make_token("definitions:write")
    ana = make_token("tasks:act", "instances:read", user="ana@planning.example.gov")
    uploaded = client.post(
        "/api/v1/definitions",
        data=(DATA / "webhooks" / "portal-permit.yaml").read_bytes(),
        headers=author | {"Content-Type": "application/yaml"},
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    egress = Egress(allow_private=True, timeout=5)
    runner = DeliveryRunner(committed, egress, policy=RetryPolicy(base=_ms(20), cap=_ms(80)))
    with Receiver("", fail_first=2) as receiver:
        created = client.post(
            "/api/v1/webhooks",
            json={"url": receiver.url, "events": ["*"]},
            headers=token_headers(client, "manage"),
        )
        receiver.secret = created.get_json()["secret"]
        headers, body = signed(SUBMITTED)
        started = client.post(
            "/hooks/permit-portal", data=body, headers=headers, content_type="application/json"
        )
        assert started.status_code == 201, started.get_json()
        instance = uuid.UUID(started.get_json()["instance_id"])
        act(client, ana, instance, "accept")
        headers, body = signed(fee_paid())
        paid = client.post(
            "/hooks/permit-portal", data=body, headers=headers, content_type="application/json"
        )
        assert paid.get_json()["result"] == "signalled"
        act(client, ana, instance, "approve")
        settle(runner, committed)
    egress.close()
    ids = [event["webhook_id"] for event in receiver.received]
    assert len(ids) == len(set(ids))
    assert [event["type"] for event in receiver.received] == outbox_order(committed)[str(instance)]
    assert receiver.received[-1]["type"] == "permit.approved"
    assert receiver.rejected == []
    log = client.get(
        f"{created.headers['Location']}/deliveries", headers=token_headers(client, "manage")
    ).get_json()
    assert {item["status"] for item in log["items"]} == {"delivered"}
    assert log["items"][-1]["attempts"] == 3


def act(client: Any, token: dict[str, str], instance: uuid.UUID, action: str) -> None:
    """Act through the API on the instance's one open task, as the token's person."""
    shown = client.get(f"/api/v1/instances/{instance}", headers=token).get_json()
    task = next(t for t in shown["tasks"] if t["status"] == "open")
    acted = client.post(f"/api/v1/tasks/{task['id']}/act", json={"action": action}, headers=token)
    assert acted.status_code == 200, acted.get_json()


def _ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)
