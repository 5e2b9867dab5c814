"""``civicflow webhooks …`` and ``civicflow worker`` delivering, in-process (CliRunner)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import read, staff
from tests.test_cli__commands import civicflow
from tests.webhooks import Receiver
from workflow import Database, Engine, SystemClock


@pytest.fixture
def env(committed: Database, tmp_path: Path) -> dict[str, str]:
    env = {
        "CIVICFLOW_DATABASE_URL": committed.url,
        "CIVICFLOW_DATA_DIR": str(tmp_path),
        "CIVICFLOW_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    return env  # the committed database is migrated already


@pytest.fixture
def receiver(env: dict[str, str]) -> Iterator[tuple[Receiver, str]]:
    """A loopback receiver subscribed to instance.started; yields it and the id."""
    with Receiver("") as receiver:
        created = civicflow(
            "webhooks", "create", receiver.url, "--event", "instance.started", env=env
        )
        assert created.exit_code == 0, created.stderr
        receiver.secret = re.findall(r"secret: (whsec_\S+)", created.stdout)[0]
        yield receiver, re.findall(r"id: (\S+)", created.stdout)[0]


def test_webhooks__create_prints_the_secret_once_and_list_shows_it(
    env: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    listed = civicflow("webhooks", "list", env=env)
    assert receiver[1] in listed.stdout and "active  instance.started" in listed.stdout
    assert "whsec_" not in listed.stdout


def test_webhooks__the_worker_delivers_and_redelivers(
    committed: Database, env: dict[str, str], receiver: tuple[Receiver, str]
) -> None:
    hook, subscription = receiver
    engine = Engine(clock=SystemClock())
    with committed.transaction() as session:
        workflow = engine.register(session, read("foi-request")).key
        input = {"requester": "Jo", "request": "the 2026 budget papers"}
        engine.start(session, workflow=workflow, input=input, actor=staff("ana@x.example"))
    assert civicflow("worker", "--once", env=env).exit_code == 0
    assert [e["type"] for e in hook.received] == ["instance.started"]
    log = civicflow("webhooks", "deliveries", subscription, env=env).stdout
    delivery = re.findall(r"^(\d+)  delivered", log, re.M)[0]
    redone = civicflow("webhooks", "redeliver", subscription, delivery, env=env)
    assert redone.exit_code == 0, redone.stderr
    assert civicflow("worker", "--once", env=env).exit_code == 0
    ids = [e["webhook_id"] for e in hook.received]
    assert len(ids) == 2 and ids[0] == ids[1]
