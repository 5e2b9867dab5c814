"""The job queue's statements: claim, start, complete, fail, list and retry jobs.

A worker leases a *batch* of due jobs in one short transaction, then applies them one
at a time, each in its own. What a batch must not do is charge its jobs for a crash
one of them caused: if a worker dies holding fifty claims, the forty-nine it had not
reached did nothing wrong. So claiming a job costs it nothing; an attempt is charged
only when the worker **starts** the job, and it starts exactly one at a time: the
first in the claiming transaction, each next one in the transaction that completes
(or fails) the one before it. When a lease expires, the job that was started and not
finished is the one the worker died on; the rest of its batch is reclaimed as it was.
A job whose starts reach ``max_attempts`` without finishing keeps killing workers,
and is failed with ``LeaseExpired`` when it is next claimed.

A claim is fenced by ``(locked_by, lease_until)``: a worker that outlived its lease
finds the row reclaimed (a new lease, usually a new owner) and applies nothing.

These functions take the caller's session and never commit; the worker's unit of
work (``Database.transaction()``) does. ``FOR UPDATE SKIP LOCKED`` is used where it
means something (PostgreSQL); SQLite serialises writers with its one write lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from workflow.errors import ConflictError, NotFoundError
from workflow.store.models import JobRow

__all__ = ["Claim", "FailedJob", "JobQueue"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A job a worker leased: enough to apply it and to prove, later, that the lease
    is still its own (``locked_by`` and ``lease_until`` are the fencing token)."""

    id: int
    kind: str
    instance_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]
    attempts: int  # starts charged before this claim
    locked_by: str
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class FailedJob:
    """A job that failed for good, as ``civicflow jobs failed`` lists it."""

    id: int
    kind: str
    instance_id: uuid.UUID | None
    task_id: uuid.UUID | None
    attempts: int
    error: str
    failed_at: datetime | None


class JobQueue:
    """The job rows, through the session of the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._row_locks = session.get_bind().dialect.name == "postgresql"

    # -- the worker's side ----------------------------------------------------------

    def claim(
        self,
        *,
        worker: str,
        kinds: Collection[str],
        now: datetime,
        lease: timedelta,
        limit: int,
        max_attempts: int,
    ) -> tuple[list[Claim], list[Claim]]:
        """Lease up to ``limit`` due jobs of ``kinds`` to ``worker``; returns them in
        the order to apply them (due first, then by id), and, apart, the jobs whose
        lease expired after ``max_attempts`` starts: those are failed here."""
        # Expired leases first (few), then pending jobs oldest first. Two queries, not
        # one with OR: each walks the (status, due_at) index and stops at the limit.
        expired = self._due("running", JobRow.lease_until < now, kinds, limit)
        ids = list(self.session.scalars(expired))
        if len(ids) < limit:
            pending = self._due("pending", JobRow.due_at <= now, kinds, limit - len(ids))
            ids += self.session.scalars(pending)
        if not ids:
            return [], []
        lease_until = now + lease
        rows = self.session.execute(
            update(JobRow)
            .where(JobRow.id.in_(ids))
            .values(status="running", locked_by=worker, lease_until=lease_until)
            .returning(
                JobRow.id,
                JobRow.kind,
                JobRow.instance_id,
                JobRow.task_id,
                JobRow.payload,
                JobRow.attempts,
                JobRow.due_at,
            )
            .execution_options(synchronize_session=False)
        ).all()
        rows = sorted(rows, key=lambda row: (row.due_at, row.id))  # RETURNING has no order
        claims = [
            Claim(
                id=row.id,
                kind=row.kind,
                instance_id=row.instance_id,
                task_id=row.task_id,
                payload=row.payload,
                attempts=row.attempts,
                locked_by=worker,
                lease_until=lease_until,
            )
            for row in rows
        ]
        dead = [c for c in claims if c.attempts >= max_attempts]
        for claim in dead:
            self._abandon(claim, now)
        return [c for c in claims if c.attempts < max_attempts], dead

    def _due(
        self, status: str, due: ColumnElement[bool], kinds: Collection[str], limit: int
    ) -> Select[int]:
        query = (
            select(JobRow.id)
            .where(JobRow.status == status, due, JobRow.kind.in_(list(kinds)))
            .order_by(JobRow.due_at, JobRow.id)
            .limit(limit)
        )
        return query.with_for_update(skip_locked=True) if self._row_locks else query

    def start(self, claim: Claim) -> bool:
        """Charge ``claim`` one attempt: the worker is about to apply it. False if the
        claim is no longer the worker's (its lease expired and it was reclaimed)."""
        started = self.session.execute(
            update(JobRow)
            .where(*_fence(claim))
            .values(attempts=JobRow.attempts + 1)
            .returning(JobRow.id)
            .execution_options(synchronize_session=False)
        ).first()
        return started is not None

    def complete(self, claim: Claim, now: datetime) -> bool:
        """Mark the job done if the claim is still the worker's, locking the row; the
        caller applies the job's effect in the same transaction, so both commit or
        neither. False: the claim was lost, apply nothing."""
        done = self.session.execute(
            update(JobRow)
            .where(*_fence(claim))
            .values(status="done", finished_at=now, lease_until=None)
            .returning(JobRow.id)
            .execution_options(synchronize_session=False)
        ).first()
        return done is not None

    def fail(
        self,
        claim: Claim,
        error: dict[str, Any],
        now: datetime,
        *,
        max_attempts: int,
        retry_delay: timedelta,
    ) -> tuple[str, int, datetime | None]:
        """Record that applying the job raised ``error``: back to ``pending`` after a
        growing delay, or ``failed`` once its own attempts reach ``max_attempts``.
        Returns the outcome (``retry``, ``failed`` or ``lost``), the attempts charged
        and when it is retried."""
        query = select(JobRow).where(*_fence(claim)).with_for_update()
        job = self.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
        if job is None:
            return "lost", claim.attempts, None
        job.payload = {**job.payload, "error": {**error, "attempt": job.attempts}}
        job.lease_until = None
        if job.attempts >= max_attempts:
            job.status = "failed"
            job.finished_at = now
            return "failed", job.attempts, None
        job.status = "pending"
        job.locked_by = None
        job.due_at = now + retry_delay * max(job.attempts, 1)
        return "retry", job.attempts, job.due_at

    def _abandon(self, claim: Claim, now: datetime) -> None:
        detail = {
            "type": "LeaseExpired",
            "message": f"the worker died or its lease expired while applying this job, "
            f"{claim.attempts} times",
            "attempt": claim.attempts,
            "at": now.isoformat(),
        }
        self.session.execute(
            update(JobRow)
            .where(JobRow.id == claim.id)
            .values(
                status="failed",
                finished_at=now,
                lease_until=None,
                payload={**claim.payload, "error": detail},
            )
            .execution_options(synchronize_session=False)
        )

    # -- the operator's side -----------------------------------------------------------

    def failed(self, *, limit: int = 1000) -> list[FailedJob]:
        """Jobs that failed for good, the most recent first."""
        rows = self.session.scalars(
            select(JobRow)
            .where(JobRow.status == "failed")
            .order_by(JobRow.finished_at.desc(), JobRow.id.desc())
            .limit(limit)
        )
        return [
            FailedJob(
                id=row.id,
                kind=row.kind,
                instance_id=row.instance_id,
                task_id=row.task_id,
                attempts=row.attempts,
                error=_error_text(row.payload.get("error")),
                failed_at=row.finished_at,
            )
            for row in rows
        ]

    def retry(self, ids: Sequence[int] | None, now: datetime) -> list[int]:
        """Queue failed jobs again, due now with fresh attempts (``None``: every failed
        job). A listed id that is not a failed job refuses the whole request."""
        query = select(JobRow).where(JobRow.status == "failed").with_for_update()
        if ids is not None:
            wanted = set(ids)
            listed = self.session.scalars(query.where(JobRow.id.in_(wanted)))
            found = {row.id: row for row in listed}
            missing = sorted(wanted - set(found))
            if missing:
                known = self.session.execute(
                    select(JobRow.id, JobRow.status).where(JobRow.id.in_(missing))
                ).all()
                if not known:
                    raise NotFoundError(f"no job {', '.join(map(str, missing))}")
                states = ", ".join(f"{job_id} is {status}" for job_id, status in known)
                raise ConflictError(f"only failed jobs can be retried: {states}")
            rows = [found[job_id] for job_id in sorted(found)]
        else:
            rows = list(self.session.scalars(query.order_by(JobRow.id)))
        for row in rows:
            row.status = "pending"
            row.attempts = 0
            row.due_at = now
            row.locked_by = None
            row.lease_until = None
            row.finished_at = None
        return [row.id for row in rows]


def _fence(claim: Claim) -> tuple[ColumnElement[bool], ...]:
    return (
        JobRow.id == claim.id,
        JobRow.status == "running",
        JobRow.locked_by == claim.locked_by,
        JobRow.lease_until == claim.lease_until,
    )


def _error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return "-"
    return f"{error.get('type', 'Error')}: {error.get('message', '')}".strip()
