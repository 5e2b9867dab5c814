"""The worker's delivery runner sends the outbox to a real HTTP receiver on loopback,
which verifies every request with the Standard Webhooks reference library."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from integrations.egress import Egress
from integrations.outbound import DeliveryRunner, RetryPolicy, create_subscription
from tests.conftest import read, staff
from tests.webhooks import Receiver
from workflow import Database, Engine, SystemClock, WebhookStore
from workflow.store.models import OutboxRow, WebhookDeliveryRow

CLERK = staff("ana@planning.example.gov", "planning/intake")
INPUT = {"applicant": "Jo", "address": "1 Main St"}
FAST = RetryPolicy(base=timedelta(milliseconds=20), cap=timedelta(milliseconds=80))


@pytest.fixture
def engine() -> Engine:
    return Engine(clock=SystemClock())


@pytest.fixture
def runner(committed: Database, engine: Engine) -> Iterator[DeliveryRunner]:
    with committed.transaction() as session:
        engine.register(session, read("webhooks/portal-permit"), path="portal-permit.yaml")
    egress = Egress(allow_private=True, timeout=5)
    yield DeliveryRunner(committed, egress, policy=FAST)
    egress.close()


def subscribe(db: Database, url: str, events: list[str]) -> tuple[uuid.UUID, str]:
    with db.transaction() as session:
        view, secret = create_subscription(session, url=url, events=events, now=SystemClock().now())
    return view.id, secret


def run_case(db: Database, engine: Engine, key: str) -> uuid.UUID:
    """Start, accept, signal the fee and approve: each step its own transaction."""
    with db.transaction() as session:
        view = engine.start(
            session, workflow="portal-permit", input=INPUT, actor=CLERK, business_key=key
        )
    for action, event in (("accept", "fee.paid"), ("approve", None)):
        with db.transaction() as session:
            task = engine.instance(session, view.id).open_tasks()[0]
            engine.act(session, task_id=task.id, action=action, actor=CLERK)
        if event:
            with db.transaction() as session:
                engine.signal(session, instance_id=view.id, event=event, actor=CLERK)
    return view.id


def outbox_order(db: Database) -> dict[str, list[str]]:
    """Each instance's event types in the order the engine committed them."""
    order: dict[str, list[str]] = {}
    with db.transaction() as session:
        for row in session.scalars(select(OutboxRow).order_by(OutboxRow.id)):
            order.setdefault(str(row.instance_id), []).extend(e["type"] for e in row.events)
    return order


def settle(runner: DeliveryRunner, db: Database, seconds: float = 15) -> None:
    """Run rounds until no delivery is pending (retries are due a few ms later)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runner.drain()
        with db.transaction() as session:
            waiting = session.scalar(
                select(WebhookDeliveryRow.id).where(
                    WebhookDeliveryRow.status.in_(("pending", "sending"))
                )
            )
        if waiting is None:
            return
        time.sleep(0.02)
    raise AssertionError("deliveries still pending")


def instance_of(event: dict[str, Any]) -> str:
    data = event["data"]
    return str(data.get("instance_id") or data.get("task", {}).get("instance_id"))


def test_delivery__every_event_once_and_in_order_despite_two_failures(
    committed: Database, engine: Engine, runner: DeliveryRunner
) -> None:
    with Receiver("", fail_first=2) as receiver:
        _, receiver.secret = subscribe(committed, receiver.url, ["*"])
        for key in ("A-1", "A-2"):
            run_case(committed, engine, key)
        settle(runner, committed)
    ids = [event["webhook_id"] for event in receiver.received]
    assert len(ids) == len(set(ids)), "an event arrived twice"
    arrived: dict[str, list[str]] = {}
    for event in receiver.received:
        arrived.setdefault(instance_of(event), []).append(event["type"])
    assert arrived == outbox_order(committed)
    assert receiver.rejected == []
    assert receiver.requests == len(ids) + 2


def test_delivery__the_log_records_each_attempt(
    committed: Database, engine: Engine, runner: DeliveryRunner
) -> None:
    with Receiver("", fail_first=2) as receiver:
        subscription, receiver.secret = subscribe(committed, receiver.url, ["instance.started"])
        run_case(committed, engine, "A-1")
        settle(runner, committed)
    with committed.transaction() as session:
        [delivery] = WebhookStore(session).deliveries(subscription)
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert [a.status for a in delivery.log] == [500, 500, 204]
    assert delivery.log[0].response_excerpt == "not now"


def test_delivery__only_subscribed_events_are_sent(
    committed: Database, engine: Engine, runner: DeliveryRunner
) -> None:
    with Receiver("") as receiver:
        _, receiver.secret = subscribe(committed, receiver.url, ["task.*", "permit.approved"])
        run_case(committed, engine, "A-1")
        settle(runner, committed)
    types = {event["type"] for event in receiver.received}
    assert types == {"task.created", "task.completed", "permit.approved"}


def test_delivery__410_gone_disables_the_subscription(
    committed: Database, engine: Engine, runner: DeliveryRunner
) -> None:
    with Receiver("") as receiver:
        receiver.reply = (410, {})
        subscription, _ = subscribe(committed, receiver.url, ["*"])
        run_case(committed, engine, "A-1")
        runner.drain()
    with committed.transaction() as session:
        view = WebhookStore(session).subscription(subscription)
    assert (view.active, view.disabled_reason) == (False, "the receiver answered 410 Gone")
    assert receiver.requests == 1


def test_delivery__retry_after_is_honoured_on_429(
    committed: Database, engine: Engine, runner: DeliveryRunner
) -> None:
    with Receiver("") as receiver:
        receiver.reply = (429, {"Retry-After": "120"})
        subscription, _ = subscribe(committed, receiver.url, ["instance.started"])
        run_case(committed, engine, "A-1")
        before = SystemClock().now()
        runner.drain()
    with committed.transaction() as session:
        [delivery] = WebhookStore(session).deliveries(subscription)
    assert delivery.status == "pending"
    wait = delivery.next_attempt_at - before
    assert timedelta(seconds=115) < wait < timedelta(seconds=125)


def test_delivery__a_private_address_is_refused_without_the_setting(
    committed: Database, engine: Engine, runner: DeliveryRunner
) -> None:
    runner.egress = Egress(allow_private=False)
    with Receiver("") as receiver:
        subscription, _ = subscribe(committed, receiver.url, ["instance.started"])
        run_case(committed, engine, "A-1")
        runner.drain()
    with committed.transaction() as session:
        [delivery] = WebhookStore(session).deliveries(subscription)
    assert (delivery.status, receiver.requests) == ("failed", 0)
    assert "127.0.0.1, a loopback" in (delivery.log[0].error or "")


def test_delivery__redelivery_sends_the_same_webhook_id_again(
    committed: Database, engine: Engine, runner: DeliveryRunner
) -> None:
    with Receiver("") as receiver:
        subscription, receiver.secret = subscribe(committed, receiver.url, ["instance.started"])
        run_case(committed, engine, "A-1")
        settle(runner, committed)
        with committed.transaction() as session:
            [delivery] = WebhookStore(session).deliveries(subscription)
            WebhookStore(session).redeliver(subscription, delivery.id, SystemClock().now())
        settle(runner, committed)
    ids = [event["webhook_id"] for event in receiver.received]
    assert ids == [delivery.message_id, delivery.message_id]
