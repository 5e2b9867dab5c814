"""The engine's narrow window onto the database.

``Store`` wraps one session for one unit of work. It reads the facts the runtime
needs (locking the instance row so concurrent actions on one instance queue up
instead of both deciding on stale data), and writes a runtime ``Step`` — state,
tasks, timers, audit record and outbox events — in that same transaction. It never
commits: the caller's unit of work does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CursorResult,
    Executable,
    Row,
    bindparam,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from workflow.actors import identity
from workflow.errors import NotFoundError
from workflow.runtime.audit import AuditRecord, record_hash
from workflow.store.database import OUTBOX_PENDING
from workflow.store.fields import field_rows
from workflow.store.models import (
    AuditRow,
    AuditStreamRow,
    Base,
    DefinitionRow,
    InputFieldRow,
    InstanceRow,
    JobRow,
    OutboxRow,
    TaskRow,
)
from workflow.views import AuditEntry, DefinitionInfo, InstanceView, TaskView

__all__ = [
    "Store",
    "audit_row",
    "definition_info",
    "new_task_view",
    "new_task_views",
    "task_view",
]

# Hot-path statements, built once (building one costs more than running its cached
# compiled form), with bind parameters for the values. The inserts are Core inserts
# against the tables: the column types still convert UUIDs, JSON and UTC datetimes,
# without the ORM's bulk-insert machinery.
_TASKS = Base.metadata.tables[TaskRow.__tablename__]
_INSERT_TASKS = insert(_TASKS)
_JOBS = Base.metadata.tables[JobRow.__tablename__]
_INSERT_JOBS = insert(_JOBS)
_INSERT_AUDIT = insert(Base.metadata.tables[AuditRow.__tablename__])
_INSERT_OUTBOX = insert(Base.metadata.tables[OutboxRow.__tablename__])
_INSERT_FIELDS = insert(Base.metadata.tables[InputFieldRow.__tablename__])
_TASK_VIEW_COLUMNS = tuple(
    _TASKS.c[name]
    for name in (
        "id",
        "instance_id",
        "workflow_key",
        "state",
        "branch",
        "title",
        "queue",
        "actions",
        "status",
        "priority",
        "assignee",
        "due_at",
        "created_at",
        "completed_at",
        "completed_by",
        "on_behalf_of",
        "outcome",
        "version",
    )
)
_DEFINITIONS = Base.metadata.tables[DefinitionRow.__tablename__]
_LATEST_DEFINITION = (
    select(_DEFINITIONS.c.id)
    .where(_DEFINITIONS.c.key == bindparam("key"))
    .order_by(_DEFINITIONS.c.version.desc())
    .limit(1)
)
_DEFINITION_VERSION = select(_DEFINITIONS.c.id).where(
    _DEFINITIONS.c.key == bindparam("key"), _DEFINITIONS.c.version == bindparam("version")
)
_INSTANCE = select(InstanceRow).where(InstanceRow.id == bindparam("instance_id"))
_INSTANCE_FOR_UPDATE = _INSTANCE.with_for_update()
_INSTANCE_BY_BUSINESS_KEY = select(InstanceRow).where(
    InstanceRow.workflow_key == bindparam("workflow"),
    InstanceRow.business_key == bindparam("business_key"),
)
_TASK_FOR_UPDATE = (
    select(TaskRow, InstanceRow)
    .join(InstanceRow, InstanceRow.id == TaskRow.instance_id)
    .where(TaskRow.id == bindparam("task_id"))
    .with_for_update(of=InstanceRow)
    .execution_options(populate_existing=True)
)
_TASK = (
    select(TaskRow, InstanceRow)
    .join(InstanceRow, InstanceRow.id == TaskRow.instance_id)
    .where(TaskRow.id == bindparam("task_id"))
)
_TASK_AGAIN = (
    select(TaskRow)
    .where(TaskRow.id == bindparam("task_id"))
    .execution_options(populate_existing=True)
)
_COMPLETERS = select(_TASKS.c.completed_by, _TASKS.c.on_behalf_of).where(
    _TASKS.c.instance_id == bindparam("instance_id"),
    _TASKS.c.state.in_(bindparam("states", expanding=True)),
    _TASKS.c.status == "completed",
)
_CANCEL_JOBS = (
    update(_JOBS)
    .where(
        _JOBS.c.instance_id == bindparam("of_instance"),
        _JOBS.c.kind.in_(bindparam("kinds", expanding=True)),
        _JOBS.c.status == "pending",
    )
    .values(status="cancelled", finished_at=bindparam("now"))
)  # (an UPDATE's parameters may not be named like its columns)
_CANCEL_TASK_JOBS = _CANCEL_JOBS.where(_JOBS.c.task_id == bindparam("of_task"))
# the same, as ORM statements: they also update the JobRow objects a session holds
_CANCEL_JOBS_ORM = (
    update(JobRow)
    .where(
        JobRow.instance_id == bindparam("of_instance"),
        JobRow.kind.in_(bindparam("kinds", expanding=True)),
        JobRow.status == "pending",
    )
    .values(status="cancelled", finished_at=bindparam("now"))
)
_CANCEL_TASK_JOBS_ORM = _CANCEL_JOBS_ORM.where(JobRow.task_id == bindparam("of_task"))
_CANCEL_OPEN_TASKS = (
    update(_TASKS)
    .where(_TASKS.c.instance_id == bindparam("of_instance"), _TASKS.c.status == "open")
    .values(status="cancelled", completed_at=bindparam("now"), version=_TASKS.c.version + 1)
    .returning(*_TASK_VIEW_COLUMNS)
)
_CANCEL_OPEN_TASKS_OF_STATE = _CANCEL_OPEN_TASKS.where(_TASKS.c.state == bindparam("of_state"))
_CANCEL_JOBS_OF_TASKS = (
    update(_JOBS)
    .where(_JOBS.c.task_id.in_(bindparam("task_ids", expanding=True)), _JOBS.c.status == "pending")
    .values(status="cancelled", finished_at=bindparam("now"))
)
_CANCEL_JOBS_OF_TASKS_ORM = (
    update(JobRow)
    .where(JobRow.task_id.in_(bindparam("task_ids", expanding=True)), JobRow.status == "pending")
    .values(status="cancelled", finished_at=bindparam("now"))
)
# a versioned UPDATE of one row; the columns to set are the parameters' other keys
_SAVE = {
    row_class: update(table).where(
        table.c.id == bindparam("row_id"), table.c.version == bindparam("row_version")
    )
    for row_class, table in (
        (InstanceRow, Base.metadata.tables[InstanceRow.__tablename__]),
        (TaskRow, _TASKS),
    )
}
_SELECT_TASK_VIEWS = (
    select(*_TASK_VIEW_COLUMNS)
    .where(_TASKS.c.instance_id == bindparam("instance_id"))
    .order_by(_TASKS.c.created_at, _TASKS.c.id)
)


class Store:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _core(self, statement: Executable, params: Any = None) -> CursorResult[Any]:
        """Run a Core statement on the session's connection, in its transaction.

        This skips the Session's ORM execution layer (its autoflush and ORM result
        handling), which costs more than the statement on the hot path. So a caller
        must have flushed any pending ORM row these rows refer to: ``save`` flushes a
        new instance before its tasks are inserted."""
        return self.session.connection().execute(statement, params)

    def _core_read(self, statement: Executable, params: Any = None) -> CursorResult[Any]:
        """``_core`` for a query that may read rows the session changed: first the
        flush the ORM's autoflush would have done (nothing, when the session is clean)."""
        if self.session.autoflush:
            self.session.flush()
        return self._core(statement, params)

    def _holds(self, row_class: type[Any]) -> bool:
        """Whether the session holds any ``row_class`` object, new or loaded."""
        return any(isinstance(row, row_class) for row in self.session.new) or any(
            key[0] is row_class
            for key in self.session.identity_map.keys()  # noqa: SIM118 (not a dict)
        )

    # -- definitions ------------------------------------------------------------------

    def definition(self, definition_id: int) -> DefinitionRow:
        row = self.session.get(DefinitionRow, definition_id)
        if row is None:
            raise NotFoundError(f"no definition with id {definition_id}")
        return row

    def definition_by_hash(self, key: str, content_hash: str) -> DefinitionRow | None:
        return self.session.scalars(
            select(DefinitionRow).where(
                DefinitionRow.key == key, DefinitionRow.content_hash == content_hash
            )
        ).one_or_none()

    def latest_definition_id(self, key: str, version: int | None = None) -> int:
        """The row id of the workflow's latest version (or of ``version``): just the
        id, since the engine keeps each definition row's compiled runtime by id."""
        if version is None:
            row = self._core_read(_LATEST_DEFINITION, {"key": key}).scalar()
        else:
            params = {"key": key, "version": version}
            row = self._core_read(_DEFINITION_VERSION, params).scalar()
        if row is None:
            what = f"version {version} of workflow '{key}'" if version else f"workflow '{key}'"
            raise NotFoundError(f"no {what} is registered", workflow=key)
        return int(row)

    def next_definition_version(self, key: str) -> int:
        current = self.session.scalar(
            select(func.max(DefinitionRow.version)).where(DefinitionRow.key == key)
        )
        return (current or 0) + 1

    def definitions(self) -> Sequence[DefinitionRow]:
        return self.session.scalars(
            select(DefinitionRow).order_by(DefinitionRow.key, DefinitionRow.version)
        ).all()

    # -- instances and tasks ------------------------------------------------------------

    def instance(self, instance_id: uuid.UUID, *, lock: bool = False) -> InstanceRow:
        query = _INSTANCE_FOR_UPDATE if lock else _INSTANCE
        row = self.session.scalars(query, {"instance_id": instance_id}).one_or_none()
        if row is None:
            raise NotFoundError(f"no instance {instance_id}", instance=str(instance_id))
        return row

    def instance_by_business_key(self, workflow: str, business_key: str) -> InstanceRow | None:
        params = {"workflow": workflow, "business_key": business_key}
        return self.session.scalars(_INSTANCE_BY_BUSINESS_KEY, params).one_or_none()

    def task_for_update(self, task_id: uuid.UUID) -> tuple[TaskRow, InstanceRow]:
        """The task and its instance as they are now, the instance row locked.

        Every writer locks the instance row (never a task row first), so writers on
        one instance queue up without deadlocks. On PostgreSQL a writer that waited
        for that lock gets the instance's latest row, but the task row the same
        statement read is as of *before* the wait: a timer or a claim that changed
        the task meanwhile would make a still-open task look stale. So there the
        task is read again once the lock is held; only a real change conflicts.
        (SQLite writers start with ``BEGIN IMMEDIATE``: their first read is current.)"""
        row = self.session.execute(_TASK_FOR_UPDATE, {"task_id": task_id}).one_or_none()
        if row is None:
            raise NotFoundError(f"no task {task_id}", task=str(task_id))
        task, instance = row[0], row[1]
        if self.session.connection().dialect.name == "postgresql":
            task = self.session.scalars(_TASK_AGAIN, {"task_id": task_id}).one()
        return task, instance

    def task(self, task_id: uuid.UUID) -> tuple[TaskRow, InstanceRow]:
        """The task and its instance, for reading only (nothing locked)."""
        row = self.session.execute(_TASK, {"task_id": task_id}).one_or_none()
        if row is None:
            raise NotFoundError(f"no task {task_id}", task=str(task_id))
        return row[0], row[1]

    def tasks_of(self, instance_id: uuid.UUID, *, state: str | None = None) -> Sequence[TaskRow]:
        query = select(TaskRow).where(TaskRow.instance_id == instance_id)
        if state is not None:
            query = query.where(TaskRow.state == state)
        return self.session.scalars(query.order_by(TaskRow.created_at, TaskRow.id)).all()

    def task_views(self, instance_id: uuid.UUID) -> tuple[TaskView, ...]:
        """An instance's tasks as views, read as plain tuples of just the view's
        columns (no ORM objects, no mappings to build)."""
        rows = self._core(_SELECT_TASK_VIEWS, {"instance_id": instance_id})
        return tuple(task_view(row) for row in rows)

    def completers(self, instance_id: uuid.UUID, states: Iterable[str]) -> set[str]:
        """Everyone who completed a task in ``states`` of this instance, including the
        people a delegate acted for: the input of the four-eyes rule. Identities are
        compared normalised (``workflow.actors.identity``), rows stored before that
        included."""
        rows = self._core_read(
            _COMPLETERS, {"instance_id": instance_id, "states": list(states)}
        ).all()
        return {identity(who) for pair in rows for who in pair if who}

    def cancel_open_tasks(
        self, instance_id: uuid.UUID, state: str | None, now: datetime
    ) -> list[TaskView]:
        """Cancel the instance's open tasks (of ``state``, if given) and their timers;
        the tasks as stored afterwards, read by the UPDATE itself (``RETURNING``)."""
        self.session.flush()  # the acting task's own completion must be in the database
        params = {"of_instance": instance_id, "now": now}
        if state is None:
            rows = self._core(_CANCEL_OPEN_TASKS, params)
        else:
            rows = self._core(_CANCEL_OPEN_TASKS_OF_STATE, {**params, "of_state": state})
        cancelled = [task_view(row) for row in rows]
        if cancelled:
            params = {"task_ids": [t.id for t in cancelled], "now": now}
            if self._holds(JobRow):
                self.session.execute(_CANCEL_JOBS_OF_TASKS_ORM, params)
            else:
                self._core(_CANCEL_JOBS_OF_TASKS, params)
        return cancelled

    def cancel_jobs(
        self,
        instance_id: uuid.UUID,
        kinds: tuple[str, ...],
        now: datetime,
        *,
        task_id: uuid.UUID | None = None,
    ) -> None:
        """Cancel pending timers that can no longer apply (of one task, if given).

        A plain Core UPDATE, unless the session holds job objects (a worker's, a
        test's): only then is the ORM's UPDATE worth its cost, which flushes them
        first and updates them too."""
        params: dict[str, Any] = {"of_instance": instance_id, "kinds": list(kinds), "now": now}
        if task_id is not None:
            params["of_task"] = task_id
        if self._holds(JobRow):
            orm = _CANCEL_JOBS_ORM if task_id is None else _CANCEL_TASK_JOBS_ORM
            self.session.execute(orm, params)
        else:
            self._core(_CANCEL_JOBS if task_id is None else _CANCEL_TASK_JOBS, params)

    def save(self, row: InstanceRow | TaskRow, changes: dict[str, Any]) -> None:
        """Store ``changes`` (column values) to an instance or task row.

        A row already stored gets one Core UPDATE that also bumps its ``version``
        and matches only the version that was read, so a concurrent change raises
        ``StaleDataError`` exactly like the ORM's versioned flush; the object then
        takes the values as committed, so no later flush writes them again. This
        skips the unit of work, which costs more than the statement. A new row (just
        added to the session) is given the values and inserted by one flush."""
        state: InstanceState[Any] = inspect(row)
        if state.pending:
            for key, value in changes.items():
                setattr(row, key, value)
            self.session.flush()
            return
        version = row.version
        result = self._core(
            _SAVE[type(row)],
            {**changes, "version": version + 1, "row_id": row.id, "row_version": version},
        )
        if result.rowcount != 1:
            raise StaleDataError(
                f"{type(row).__name__} {row.id} was changed since it was read "
                f"(it was at version {version})"
            )
        for key, value in changes.items():
            set_committed_value(row, key, value)
        set_committed_value(row, "version", version + 1)

    def insert_tasks(self, rows: list[dict[str, Any]]) -> None:
        """New tasks in one Core INSERT (no per-object unit-of-work cost)."""
        if rows:
            self._core(_INSERT_TASKS, rows)

    def index_input(self, instance_id: uuid.UUID, input: dict[str, Any]) -> None:
        """Write a new instance's input fields to the inbox's field index
        (``workflow.store.fields``); the input never changes afterwards."""
        rows = field_rows(instance_id, input)
        if rows:
            self._core(_INSERT_FIELDS, rows)

    def last_job(self, instance_id: uuid.UUID, kind: str) -> JobRow | None:
        """The instance's most recently created job of ``kind``, if any."""
        query = (
            select(JobRow)
            .where(JobRow.instance_id == instance_id, JobRow.kind == kind)
            .order_by(JobRow.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def insert_jobs(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._core(_INSERT_JOBS, rows)

    def add(self, *rows: Any) -> None:
        self.session.add_all(rows)

    def add_job(
        self,
        *,
        kind: str,
        due_at: datetime,
        now: datetime,
        instance_id: uuid.UUID | None,
        task_id: uuid.UUID | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            JobRow(
                kind=kind,
                due_at=due_at,
                status="pending",
                instance_id=instance_id,
                task_id=task_id,
                payload=payload or {},
                attempts=0,
                created_at=now,
            )
        )

    def add_outbox(
        self, instance_id: uuid.UUID | None, events: list[dict[str, Any]], now: datetime
    ) -> None:
        if events:
            # published to live listeners after commit (Database.on_commit)
            self.session.info.setdefault(OUTBOX_PENDING, []).extend(events)
            self._core(
                _INSERT_OUTBOX,
                {
                    "created_at": now,
                    "instance_id": instance_id,
                    "events": events,
                    "published_at": None,
                },
            )

    # -- audit --------------------------------------------------------------------------

    def insert_audit(self, row: dict[str, Any]) -> None:
        self._core(_INSERT_AUDIT, row)

    def audit_stream(self, stream: str, make: Callable[[int], AuditRecord]) -> None:
        """Append to a stream that has no instance; ``make(seq)`` builds the record."""
        head = self.session.get(AuditStreamRow, stream, with_for_update=True)
        seq = (head.seq if head else 0) + 1
        prev = head.head if head else None
        record = make(seq)
        row = audit_row(record, prev)
        self.insert_audit(row)
        if head is None:
            self.session.add(AuditStreamRow(stream=stream, seq=seq, head=row["hash"]))
        else:
            head.seq, head.head = seq, row["hash"]

    def history(self, instance_id: uuid.UUID) -> list[AuditEntry]:
        rows = self.session.scalars(
            select(AuditRow)
            .where(AuditRow.stream == f"instance:{instance_id}")
            .order_by(AuditRow.seq)
        )
        return [
            AuditEntry(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                actor_idp=r.actor_idp,
                on_behalf_of=r.on_behalf_of,
                action=r.action,
                state_before=r.state_before,
                state_after=r.state_after,
                task_id=r.task_id,
                details=r.details,
            )
            for r in rows
        ]

    # -- views ----------------------------------------------------------------------------

    def instance_view(
        self,
        instance: InstanceRow,
        *,
        version: int | None = None,
        history: bool = True,
        tasks: tuple[TaskView, ...] | None = None,
    ) -> InstanceView:
        """The instance as callers see it; ``tasks``, when the caller already knows
        all of them (a just-started instance), saves reading them back."""
        if version is None:
            version = self.definition(instance.definition_id).version
        return InstanceView(
            id=instance.id,
            workflow=instance.workflow_key,
            definition_version=version,
            business_key=instance.business_key,
            state=instance.state,
            status=instance.status,
            input=instance.input,
            data=instance.data,
            created_at=instance.created_at,
            completed_at=instance.completed_at,
            version=instance.version,
            tasks=self.task_views(instance.id) if tasks is None else tasks,
            history=tuple(self.history(instance.id)) if history else (),
        )


def definition_info(row: DefinitionRow, *, created: bool = False) -> DefinitionInfo:
    return DefinitionInfo(
        id=row.id,
        key=row.key,
        version=row.version,
        content_hash=row.content_hash,
        title=row.title,
        source_path=row.source_path,
        registered_at=row.registered_at,
        created=created,
    )


def new_task_views(rows: Iterable[dict[str, Any]]) -> tuple[TaskView, ...]:
    """Views of tasks just inserted (``Store.insert_tasks`` rows), equal to what
    reading them back would give: in the same order, with times in UTC (the
    column stores UTC) and the columns the insert left out at their defaults."""
    return tuple(sorted(map(new_task_view, rows), key=lambda view: (view.created_at, view.id)))


def new_task_view(row: dict[str, Any]) -> TaskView:
    """The view of one task about to be inserted (a ``Store.insert_tasks`` row)."""
    return TaskView(
        id=row["id"],
        instance_id=row["instance_id"],
        workflow=row["workflow_key"],
        state=row["state"],
        branch=row["branch"],
        title=row["title"],
        queue=row["queue"],
        actions=tuple(row["actions"]),
        status=row["status"],
        priority=row["priority"],
        assignee=None,
        due_at=_utc(row["due_at"]),
        created_at=row["created_at"].astimezone(UTC),
        completed_at=None,
        completed_by=None,
        on_behalf_of=None,
        outcome=None,
        version=row["version"],
    )


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def task_view(row: TaskRow | Row[Any]) -> TaskView:
    """A TaskView from an ORM row or a Core row of (at least) the view's columns."""
    return TaskView(
        id=row.id,
        instance_id=row.instance_id,
        workflow=row.workflow_key,
        state=row.state,
        branch=row.branch,
        title=row.title,
        queue=row.queue,
        actions=tuple(row.actions),
        status=row.status,
        priority=row.priority,
        assignee=row.assignee,
        due_at=row.due_at,
        created_at=row.created_at,
        completed_at=row.completed_at,
        completed_by=row.completed_by,
        on_behalf_of=row.on_behalf_of,
        outcome=row.outcome,
        version=row.version,
    )


def audit_row(record: AuditRecord, prev: str | None) -> dict[str, Any]:
    """The stored form of ``record``, hash-chained to ``prev`` (the stream's head)."""
    digest = record_hash(record, prev)
    return {
        "stream": record.stream,
        "seq": record.seq,
        "at": record.at,
        "actor": record.actor,
        "actor_idp": record.actor_idp,
        "on_behalf_of": record.on_behalf_of,
        "action": record.action,
        "instance_id": record.instance_id,
        "task_id": record.task_id,
        "state_before": record.state_before,
        "state_after": record.state_after,
        "details": dict(record.details),
        "prev_hash": prev,
        "hash": digest,
    }
