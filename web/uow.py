"""The request's unit of work: the one place a web request commits.

A handler that changes something opens ``unit_of_work()`` once and calls the engine
inside it; everything it wrote (state, tasks, audit record, outbox rows, the stored
idempotent response) commits together when the block ends, or not at all. A second
unit of work in the same request is a programming error and raises at once, so no
request can half-commit. Handlers that only read use ``read_session()``, which is
always rolled back.

Work that must happen only once the change is durable (realtime events, waking the
webhook sender) is registered with ``after_commit`` inside the block and runs after
the commit succeeded; if the transaction rolls back, it never runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app, g
from sqlalchemy.orm import Session

from civicflow.services import Services

__all__ = ["after_commit", "read_session", "services", "unit_of_work"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

EXTENSION = "civicflow.services"


def services() -> Services:
    """The app's ``Services`` (settings, database, engine)."""
    found: Services = current_app.extensions[EXTENSION]
    return found


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One ``Database.transaction()`` for this request; commits when the block ends."""
    if g.get("_civicflow_uow_opened"):
        raise RuntimeError("a request opens at most one unit of work")
    g._civicflow_uow_opened = True
    g._civicflow_after_commit = []
    with services().db.transaction() as session:
        g._civicflow_session = session
        try:
            yield session
        finally:
            g._civicflow_session = None
    callbacks: list[Callable[[], None]] = g.pop("_civicflow_after_commit", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the change is committed; a failed notification must not undo it
            log.exception("after-commit callback %r failed", callback)


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading (``Database.read()``): whatever happens in it is rolled
    back, and on SQLite it never takes the write lock, so reads and writes do not
    queue behind each other."""
    with services().db.read() as session:
        yield session


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current unit of work has committed."""
    if g.get("_civicflow_session") is None:
        raise RuntimeError("after_commit needs an open unit of work")
    g._civicflow_after_commit.append(callback)
