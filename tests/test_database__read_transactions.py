"""SQLite: reading never takes the write lock, and a writer that cannot get the lock
in time gets a clear, retryable ``BusyError`` (not "database is locked")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from workflow.errors import BusyError
from workflow.store.database import Database
from workflow.store.models import DepartmentRow


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Database]:
    """A SQLite database whose writers give up waiting for the lock after 0.2 s."""
    db = Database(f"sqlite:///{tmp_path / 'civicflow.db'}", busy_timeout=0.2)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def writing(sqlite: Database) -> Iterator[Session]:
    """Another command in the middle of a write: it holds SQLite's write lock."""
    with sqlite.sessions() as session, session.begin():
        session.execute(insert(DepartmentRow).values(key="planning", title="Planning"))
        yield session


def departments(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DepartmentRow)) or 0


def test_read__goes_ahead_while_another_command_writes(sqlite: Database, writing: Session) -> None:
    started = time.monotonic()
    with sqlite.read() as session:
        assert departments(session) == 0  # the write is not committed yet
    assert time.monotonic() - started < 0.2


def test_read__a_long_read_does_not_hold_up_a_writer(sqlite: Database) -> None:
    with sqlite.read() as reader:
        assert departments(reader) == 0  # the read transaction is open from here
        with sqlite.transaction() as writer:
            writer.execute(insert(DepartmentRow).values(key="planning", title="Planning"))
    with sqlite.read() as session:
        assert departments(session) == 1


def test_transaction__a_writer_kept_waiting_too_long_gets_a_retryable_busy_error(
    sqlite: Database, writing: Session
) -> None:
    refused = pytest.raises(BusyError, match=r"busy.*nothing was changed, try again")
    with refused, sqlite.transaction() as session:
        session.execute(insert(DepartmentRow).values(key="fire", title="Fire"))


def test_read__changes_nothing_even_when_asked_to(sqlite: Database) -> None:
    with sqlite.read() as session:
        session.execute(insert(DepartmentRow).values(key="fire", title="Fire"))
    with sqlite.read() as session:
        assert departments(session) == 0
