"""End to end: a signed webhook starts a workflow through the app, its tasks are
acted on (and a second webhook pays the fee), and the worker's deliveries reach a
real receiver on loopback — verified there with the reference library, each event
once by webhook-id and in order, though the receiver failed the first two attempts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from integrations.egress import Egress
from integrations.outbound import DeliveryRunner, RetryPolicy
from tests.conftest import read, staff
from tests.test_outbound__delivery import outbox_order, settle
from tests.webhooks import SUBMITTED, Receiver, fee_paid, signed, token_headers, web_app
from workflow import Database, Engine, SystemClock

CLERK = staff("ana@planning.example.gov", "planning/intake")


def test_end_to_end__webhook_in_tasks_acted_signed_events_out(
    committed: Database, tmp_path: Path
) -> None:
    engine = Engine(clock=SystemClock())
    with committed.transaction() as session:
        engine.register(session, read("webhooks/portal-permit"), path="portal-permit.yaml")
    client = web_app(committed, tmp_path).test_client()
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
        act(committed, engine, instance, "accept")
        headers, body = signed(fee_paid())
        paid = client.post(
            "/hooks/permit-portal", data=body, headers=headers, content_type="application/json"
        )
        assert paid.get_json()["result"] == "signalled"
        act(committed, engine, instance, "approve")
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


def act(db: Database, engine: Engine, instance: uuid.UUID, action: str) -> None:
    with db.transaction() as session:
        task = engine.instance(session, instance).open_tasks()[0]
        engine.act(session, task_id=task.id, action=action, actor=CLERK)


def _ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)
