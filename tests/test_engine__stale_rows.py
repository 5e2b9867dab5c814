"""A write based on a row that changed after it was read is refused as a conflict.

Threads rarely reach this path (the instance lock queues writers up), so these tests
change the row's version behind the engine's back, right after its read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.errors import ConflictError
from workflow.store.models import Base, InstanceRow, TaskRow
from workflow.store.repository import Store
from workflow.views import InstanceView

CLERK = staff("ana@planning.example.gov", "planning/intake")
INPUT = {"applicant": "Jo Doe", "address": "1 Main St"}


@pytest.fixture
def started(engine: Engine, session: Session, register) -> InstanceView:
    return engine.start(session, workflow=register("engine/approval"), input=INPUT, actor=CLERK)


def _bump_after_read(row_class: type[Base], row_id: Callable[[Any, Any], Any]) -> Any:
    """``Store.task_for_update`` that lets another writer bump one row's version after
    the read, without the session noticing."""
    read = Store.task_for_update
    table = Base.metadata.tables[row_class.__tablename__]

    def read_then_bump(store: Store, task_id: Any) -> Any:
        task, instance = read(store, task_id)
        store.session.execute(
            update(table)
            .where(table.c.id == row_id(task, instance))
            .values(version=table.c.version + 1)
        )
        return task, instance

    return read_then_bump


@pytest.mark.parametrize(
    ("row_class", "row_id"),
    [(TaskRow, lambda task, instance: task.id), (InstanceRow, lambda task, instance: instance.id)],
    ids=["task row", "instance row"],
)
def test_act__a_row_changed_since_it_was_read_conflicts(
    engine: Engine,
    session: Session,
    started: InstanceView,
    monkeypatch: pytest.MonkeyPatch,
    row_class: type[Base],
    row_id: Callable[[Any, Any], Any],
) -> None:
    monkeypatch.setattr(Store, "task_for_update", _bump_after_read(row_class, row_id))
    with pytest.raises(ConflictError):
        engine.act(session, task_id=started.open_tasks()[0].id, action="accept", actor=CLERK)
