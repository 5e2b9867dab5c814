"""Connections, sessions, the unit of work and migrations.

``Database.transaction()`` is the one place that commits: the web request, socket
event, webhook, CLI command or job wraps its engine call in it, and everything
below takes the session and never commits. ``Database.read()`` is for commands that
only read (an inbox, a case, the audit check): it never commits and, on SQLite,
never takes the write lock.

SQLite (the embedded default) runs in WAL mode, where readers and the one writer
do not block each other. A writing transaction starts with ``BEGIN IMMEDIATE``, so
two writers queue for the lock instead of failing halfway; a reading one with a
plain (deferred) ``BEGIN``, so a long read (``audit verify`` over a large trail)
does not hold up every writer behind it. A writer that waits longer than the busy
timeout, or a PostgreSQL lock wait that ends in a deadlock or lock timeout, is a
``BusyError``: clear, and safe to retry, since nothing was written.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from workflow.errors import BusyError

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

__all__ = ["OUTBOX_PENDING", "CommitListener", "Database", "alembic_config"]

MIGRATIONS = Path(__file__).with_name("migrations")
# session.info key: the outbox events this transaction wrote, in order (Store.add_outbox)
OUTBOX_PENDING = "civicflow.outbox_pending"
# Called with the outbox events of one committed transaction.
CommitListener = Callable[[list[dict[str, Any]]], None]
_READ_ONLY = "civicflow_read_only"  # an execution option: this transaction only reads
# PostgreSQL: serialization failure, deadlock, lock not available (a lock_timeout)
_RETRYABLE_SQLSTATES = ("40001", "40P01", "55P03")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reads_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


def _is_busy(error: OperationalError) -> bool:
    """Whether a database error means "locked by someone else, try again"."""
    cause = error.orig
    if isinstance(cause, sqlite3.OperationalError):
        text = str(cause)
        return "database is locked" in text or "database is busy" in text
    return getattr(cause, "sqlstate", None) in _RETRYABLE_SQLSTATES


@contextmanager
def _busy_is_retryable() -> Iterator[None]:
    try:
        yield
    except OperationalError as error:
        if _is_busy(error):
            raise BusyError(
                "the database is busy with other work; nothing was changed, try again in a moment"
            ) from error
        raise


class Database:
    """One database: its engine, its session factory and its migrations."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 10, busy_timeout: float = 30.0
    ) -> None:
        """``busy_timeout``: seconds a SQLite writer waits for the lock before the
        command fails with ``BusyError``."""
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        options: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        else:
            # no pre-ping: it would cost a round trip per transaction; recycle instead
            options.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
        self.engine = create_engine(url, **options)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, busy_timeout)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._commit_listeners: list[CommitListener] = []
        event.listen(self.sessions, "after_commit", self._after_commit)
        event.listen(self.sessions, "after_transaction_end", self._after_transaction_end)
        reading: dict[str, Any] = {_READ_ONLY: True}
        if self.dialect == "postgresql":
            reading["postgresql_readonly"] = True  # a write by mistake fails loudly
        self._readers = sessionmaker(
            self.engine.execution_options(**reading), expire_on_commit=False
        )

    @property
    def supports_row_locks(self) -> bool:
        """Whether ``SELECT … FOR UPDATE [SKIP LOCKED]`` means anything here."""
        return self.dialect == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on normal exit, rolled back on error."""
        with _busy_is_retryable(), self.sessions() as session, session.begin():
            yield session

    @staticmethod
    @contextmanager
    def savepoint(session: Session) -> Iterator[Session]:
        """A savepoint inside ``session``'s transaction, for a command that may be
        refused while the caller's own work in the transaction must still commit.
        When it rolls back, the outbox events written inside it are forgotten too,
        so the live listeners never hear of a change that did not happen."""
        pending: list[dict[str, Any]] = session.info.setdefault(OUTBOX_PENDING, [])
        mark = len(pending)
        try:
            with session.begin_nested():
                yield session
        except BaseException:
            del pending[mark:]
            raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for commands that only read: its transaction is rolled back at
        the end, never committed, and on SQLite it does not take the write lock, so
        a long read never makes a writer wait (nor a writer a reader)."""
        with _busy_is_retryable(), self._readers() as session:
            yield session

    def on_commit(self, listener: CommitListener) -> Callable[[], None]:
        """Call ``listener`` with the outbox events of every transaction of this
        database that commits (never one that rolls back), after the commit: this is
        how the live inbox hears of changes made by any request, job or command in
        this process without reading the outbox back. Returns a function that
        removes the listener."""
        self._commit_listeners.append(listener)

        def remove() -> None:
            if listener in self._commit_listeners:
                self._commit_listeners.remove(listener)

        return remove

    def _after_commit(self, session: Session) -> None:
        events: list[dict[str, Any]] = session.info.pop(OUTBOX_PENDING, [])
        if not events:
            return
        for listener in list(self._commit_listeners):
            try:
                listener(events)
            except Exception:  # the change is durable; a failed notification must not undo it
                log.exception("commit listener %r failed", listener)

    def _after_transaction_end(self, session: Session, transaction: Any) -> None:
        if transaction.parent is None:  # the outermost one: what was not committed is void
            session.info.pop(OUTBOX_PENDING, None)

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision`` (idempotent)."""
        with self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def pending_migrations(self) -> tuple[str, ...]:
        """The head revisions this database has not reached (empty when current).

        Raises the driver's error when the database cannot be reached: readiness
        checks report that as "not ready"."""
        heads = set(ScriptDirectory.from_config(alembic_config(self.url)).get_heads())
        with self.engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
        return tuple(sorted(heads - applied))

    def dispose(self) -> None:
        self.engine.dispose()
