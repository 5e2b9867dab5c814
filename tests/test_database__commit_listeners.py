"""Database.on_commit: the outbox events of a transaction reach listeners after it
commits, and never when it rolls back (what the live inbox is built on)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import read, staff
from workflow import Database, Engine

CLERK = staff("cleo@clerks.example.gov", "clerks/desk")


def test_committed_transaction_hands_its_events_to_listeners(
    committed: Database, engine: Engine
) -> None:
    heard: list[list[dict[str, Any]]] = []
    remove = committed.on_commit(heard.append)
    try:
        with committed.transaction() as session:
            engine.register(session, read("valid/minimal"), path="minimal.yaml")
            engine.start(session, workflow="minimal", input={}, actor=CLERK)
            assert heard == []  # nothing before the commit
    finally:
        remove()
    assert len(heard) == 1
    assert {e["type"] for e in heard[0]} >= {"instance.started", "task.created"}


def test_rolled_back_transaction_tells_listeners_nothing(
    committed: Database, engine: Engine
) -> None:
    heard: list[list[dict[str, Any]]] = []
    remove = committed.on_commit(heard.append)
    try:
        with pytest.raises(RuntimeError), committed.transaction() as session:
            engine.register(session, read("valid/minimal"), path="minimal.yaml")
            engine.start(session, workflow="minimal", input={}, actor=CLERK)
            raise RuntimeError("the request failed after the engine wrote its events")
        with committed.transaction() as session:  # a later, empty transaction
            engine.register(session, read("valid/minimal"), path="minimal.yaml")
    finally:
        remove()
    assert heard == []


def test_a_rolled_back_savepoint_forgets_its_events_while_the_rest_commits(
    committed: Database, engine: Engine
) -> None:
    heard: list[list[dict[str, Any]]] = []
    remove = committed.on_commit(heard.append)
    try:
        with committed.transaction() as session:
            engine.register(session, read("valid/minimal"), path="minimal.yaml")
            engine.start(session, workflow="minimal", input={}, actor=CLERK, business_key="kept")
            with pytest.raises(RuntimeError), committed.savepoint(session):
                engine.start(session, workflow="minimal", input={}, actor=CLERK)
                raise RuntimeError("this command was refused after writing its events")
    finally:
        remove()
    assert len(heard) == 1
    started = [e for e in heard[0] if e["type"] == "instance.started"]
    assert len(started) == 1
