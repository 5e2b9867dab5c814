"""The same message delivered twice at once starts one instance: the receipt's key is
inserted before the effect, so the second waits for the first and then conflicts
(or, if it came late enough, replays the first answer)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from integrations.inbound import Inbound
from tests.conftest import read
from tests.webhooks import PORTAL_SECRET, SUBMITTED, signed
from workflow import ConflictError, Database, Engine, SystemClock
from workflow.store.models import InstanceRow


def test_concurrency__a_message_sent_twice_at_once_starts_one_instance(
    committed: Database,
) -> None:
    engine = Engine(clock=SystemClock())
    with committed.transaction() as session:
        engine.register(session, read("webhooks/portal-permit"), path="portal-permit.yaml")
    inbound = Inbound(engine, lambda source: (PORTAL_SECRET,))
    headers, body = signed(SUBMITTED)
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def send() -> None:
        barrier.wait()
        try:
            with committed.transaction() as session:
                result = inbound.receive(
                    session, source="permit-portal", headers=headers, body=body
                )
            outcomes.append((result.status, result.replayed))
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (201, False) in outcomes
    assert len(outcomes) == 2 and ((201, True) in outcomes or "conflict" in outcomes)
    with committed.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InstanceRow)) == 1
