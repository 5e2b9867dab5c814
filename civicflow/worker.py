"""The worker: fires due timers and sends queued e-mail notifications.

Timers (task deadlines, reminders, escalations, wait timeouts) are ``jobs`` rows the
engine writes in the same transaction as the change that set them. A worker takes
them in two steps:

1. **claim** — one short transaction picks due rows with ``SELECT … FOR UPDATE SKIP
   LOCKED`` (first ``running`` rows whose ``lease_until`` has passed: their worker
   died; then ``pending`` rows with ``due_at <= now``, oldest first) and marks them
   ``running``, ``locked_by`` this worker, ``lease_until = now + lease``,
   ``attempts + 1``. ``SKIP LOCKED`` lets any number of workers claim side by side
   without waiting for, or taking, each other's rows.
2. **process** — each job in its own transaction: one ``UPDATE … RETURNING`` marks
   the job ``done`` only if it is still this worker's claim (same ``locked_by`` *and*
   ``attempts``: a fencing token, so a worker that outlived its lease cannot act on
   a job someone else reclaimed) and locks the row; then ``Engine.run_timer``
   applies it. The effect and the completion commit together or not at all, so a
   timer fires exactly once however many workers run and whenever one is killed.

A job whose effect raises is retried ``max_attempts`` times with a growing delay, then
marked ``failed`` with the error in its payload; it never crashes the worker nor
loops forever. A job whose lease expired ``max_attempts`` times (it keeps killing its
worker) is failed the same way when next claimed.

SQLite has no ``SKIP LOCKED``, and needs none: every transaction starts with
``BEGIN IMMEDIATE`` (see ``Database``), so claims are serialised by the database's
single write lock and the same code path is correct. Run one worker per SQLite file
(``serve`` runs it in-process); scale out on PostgreSQL.

Time comes from the injected clock, never the wall clock, so tests move it at will.
"""

from __future__ import annotations

import logging
import os
import signal
import smtplib
import socket
import textwrap
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from civicflow.config import Settings
from integrations.email import Mailer, SmtpMailer
from workflow import TIMER_KINDS, CivicflowError, Clock, Database, Engine
from workflow.store.models import JobRow, NotificationRow

__all__ = ["TIMER_KINDS", "Claim", "Worker", "digest", "mailer_from", "run_worker"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

# The job kinds this worker applies; other kinds (outbound deliveries) are left for
# the code that knows them, instead of being claimed and failed here.
MAX_DIGEST = 100  # notifications in one e-mail; more wait for the next round
FOOTER = "\n-- \nCivicflow: you receive this for the tasks and queues you work in.\n"


@dataclass(frozen=True, slots=True)
class Claim:
    """What a worker holds after claiming a job: enough to apply it and to prove,
    later, that the claim is still its own."""

    id: int
    kind: str
    instance_id: uuid.UUID | None
    task_id: uuid.UUID | None
    payload: dict[str, Any]
    attempts: int


class Worker:
    """Claims and applies due jobs, then sends e-mail; one instance per thread."""

    def __init__(
        self,
        db: Database,
        engine: Engine,
        *,
        name: str,
        mailer: Mailer | None,
        batch: int = 50,
        lease: timedelta = timedelta(seconds=60),
        clock: Clock | None = None,
        max_attempts: int = 3,
        retry_delay: timedelta = timedelta(seconds=30),
    ) -> None:
        if batch < 1 or max_attempts < 1:
            raise ValueError("batch and max_attempts must be at least 1")
        self.db = db
        self.engine = engine
        self.name = name[:100]  # the width of jobs.locked_by
        self.batch = batch
        self.lease = lease
        self.clock: Clock = clock or engine.clock
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.mailer = mailer
        self._said_mail_is_off = False

    # -- the loop -------------------------------------------------------------------------

    def run(self, stop: threading.Event, poll: float = 1.0) -> None:
        """Work until ``stop`` is set; sleep ``poll`` seconds when a round was not full.

        A round that fails as a whole (the database is unreachable) is logged and
        retried after ``poll``: a worker outlives outages instead of exiting.
        """
        log.info("worker %s started (batch %d, lease %s)", self.name, self.batch, self.lease)
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception:
                log.exception("worker %s: a round failed; trying again in %ss", self.name, poll)
                done = 0
            if done < self.batch:
                stop.wait(poll)
        log.info("worker %s stopped", self.name)

    def run_once(self) -> int:
        """One round: claim up to ``batch`` due jobs, apply each, then send e-mail.
        Returns how many jobs were processed (applied, skipped, retried or failed)."""
        claims = self.claim()
        for claim in claims:
            self.process(claim)
        self.send_notifications()
        return len(claims)

    def drain(self) -> int:
        """Rounds until nothing is due; returns the jobs processed (``--once``)."""
        total = 0
        while (done := self.run_once()) > 0:
            total += done
        return total

    # -- jobs -----------------------------------------------------------------------------

    def claim(self) -> list[Claim]:
        """Lease up to ``batch`` due jobs to this worker in one short transaction."""
        now = self.clock.now()
        with self.db.transaction() as session:
            # Expired leases first (few), then pending jobs oldest first. Two queries,
            # not one with OR: each walks the (status, due_at) index and stops at the
            # batch size, where an OR would sort every due row on every claim.
            ids = list(session.scalars(self._due("running", JobRow.lease_until < now, self.batch)))
            if len(ids) < self.batch:
                pending = self._due("pending", JobRow.due_at <= now, self.batch - len(ids))
                ids += session.scalars(pending)
            if not ids:
                return []
            rows = session.execute(
                update(JobRow)
                .where(JobRow.id.in_(ids))
                .values(
                    status="running",
                    locked_by=self.name,
                    lease_until=now + self.lease,
                    attempts=JobRow.attempts + 1,
                )
                .returning(
                    JobRow.id,
                    JobRow.kind,
                    JobRow.instance_id,
                    JobRow.task_id,
                    JobRow.payload,
                    JobRow.attempts,
                )
                .execution_options(synchronize_session=False)
            ).all()
            claims = [Claim(*row) for row in rows]
            abandoned = [c for c in claims if c.attempts > self.max_attempts]
            if abandoned:
                self._abandon(session, abandoned, now)
        order = {job_id: position for position, job_id in enumerate(ids)}
        live = [c for c in claims if c.attempts <= self.max_attempts]
        live.sort(key=lambda c: order[c.id])  # RETURNING order is not guaranteed
        return live

    def _due(self, status: str, due: ColumnElement[bool], limit: int) -> Select[int]:
        query = (
            select(JobRow.id)
            .where(JobRow.status == status, due, JobRow.kind.in_(TIMER_KINDS))
            .order_by(JobRow.due_at)
            .limit(limit)
        )
        return query.with_for_update(skip_locked=True) if self.db.supports_row_locks else query

    def process(self, claim: Claim) -> str:
        """Apply one claimed job in its own transaction; returns what happened:
        ``done``, ``skipped`` (no longer applies), ``retry``, ``failed`` or ``lost``
        (the claim was taken over after its lease expired)."""
        try:
            with self.db.transaction() as session:
                # Mark it done first: one statement that locks the row and checks the
                # claim. It only counts if the effect below commits with it.
                owned = session.execute(
                    update(JobRow)
                    .where(*self._claimed(claim))
                    .values(status="done", finished_at=self.clock.now(), lease_until=None)
                    .returning(JobRow.id)
                    .execution_options(synchronize_session=False)
                ).first()
                if owned is None:
                    log.info("job %d: claim lost (lease expired, reclaimed); not applied", claim.id)
                    return "lost"
                applied = self.engine.run_timer(
                    session,
                    kind=claim.kind,
                    instance_id=claim.instance_id,
                    task_id=claim.task_id,
                    payload=dict(claim.payload),
                )
            return "done" if applied else "skipped"
        except Exception as error:
            # CivicflowError is an expected refusal (the instance vanished, a conflict);
            # anything else is a bug, logged with its traceback. Both are retried a
            # bounded number of times, then recorded: the worker must keep going.
            if not isinstance(error, CivicflowError):
                log.exception("job %d (%s) raised unexpectedly", claim.id, claim.kind)
            return self._record_failure(claim, error)

    def _claimed(self, claim: Claim) -> tuple[ColumnElement[bool], ...]:
        """The job is still this claim: same worker *and* same attempt (a fencing
        token, so a worker that outlived its lease cannot act on a reclaimed job)."""
        return (
            JobRow.id == claim.id,
            JobRow.status == "running",
            JobRow.locked_by == self.name,
            JobRow.attempts == claim.attempts,
        )

    def _own(self, session: Session, claim: Claim) -> JobRow | None:
        """The job row, locked, if this worker still holds the claim."""
        query = select(JobRow).where(*self._claimed(claim)).with_for_update()
        job = session.scalars(query.execution_options(populate_existing=True)).one_or_none()
        if job is None:
            log.info("job %d: claim lost (lease expired, reclaimed)", claim.id)
        return job

    def _record_failure(self, claim: Claim, error: Exception) -> str:
        now = self.clock.now()
        expected = isinstance(error, CivicflowError)
        detail: dict[str, Any] = {
            "type": type(error).__name__,
            # a bug's text may carry internals (SQL, values): it stays in the log
            "message": str(error) if expected else "unexpected error: see the worker's log",
            "attempt": claim.attempts,
            "at": now.isoformat(),
        }
        if isinstance(error, CivicflowError) and error.context:
            detail["context"] = {k: str(v) for k, v in error.context.items()}
        try:
            with self.db.transaction() as session:
                job = self._own(session, claim)
                if job is None:
                    return "lost"
                job.payload = {**job.payload, "error": detail}
                job.lease_until = None
                if claim.attempts >= self.max_attempts:
                    job.status = "failed"
                    job.finished_at = now
                    outcome = "failed"
                else:
                    job.status = "pending"
                    job.locked_by = None
                    job.due_at = now + self.retry_delay * claim.attempts
                    outcome = "retry"
        except Exception:
            log.exception(
                "job %d: could not record its failure; it is retried when its lease expires",
                claim.id,
            )
            return "lost"
        if outcome == "failed":
            log.error(
                "job %d (%s) failed after %d attempts: %s: %s",
                claim.id,
                claim.kind,
                claim.attempts,
                detail["type"],
                error,
            )
        else:
            log.warning(
                "job %d (%s) attempt %d of %d failed, retrying at %s: %s",
                claim.id,
                claim.kind,
                claim.attempts,
                self.max_attempts,
                job.due_at.isoformat(),
                error,
            )
        return outcome

    def _abandon(self, session: Session, claims: Sequence[Claim], now: datetime) -> None:
        """Fail jobs whose lease expired ``max_attempts`` times: they kill workers."""
        for claim in claims:
            detail = {
                "type": "LeaseExpired",
                "message": f"the worker's lease expired {claim.attempts - 1} times "
                "(it died or the job outlasted its lease)",
                "attempt": claim.attempts,
                "at": now.isoformat(),
            }
            session.execute(
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
            log.error("job %d (%s) abandoned: %s", claim.id, claim.kind, detail["message"])

    # -- e-mail -------------------------------------------------------------------------

    def send_notifications(self) -> int:
        """E-mail each recipient's unsent notifications as one message (a digest when
        there are several); returns how many e-mails were sent.

        On PostgreSQL a recipient's rows are locked (``FOR UPDATE SKIP LOCKED``) by the
        transaction that mails them and marks them sent, so two workers never mail
        the same batch. The edge is at-least-once: if the worker dies after the SMTP
        server accepted the message but before the commit, the rows stay unsent and
        the e-mail goes out again next round. SQLite has a single worker, and holding
        its database-wide write lock through an SMTP conversation would stall every
        web request, so there the rows are read, mailed, then marked sent in a
        second short transaction (the same at-least-once edge).
        """
        if self.mailer is None:
            if not self._said_mail_is_off:
                log.warning("e-mail is off (CIVICFLOW_SMTP_HOST unset): notifications stay queued")
                self._said_mail_is_off = True
            return 0
        with self.db.transaction() as session:
            recipients = list(
                session.scalars(
                    select(NotificationRow.recipient)
                    .where(NotificationRow.sent_at.is_(None))
                    .group_by(NotificationRow.recipient)
                    .order_by(func.min(NotificationRow.id))  # the longest-waiting first
                    .limit(self.batch)
                )
            )
        sent = 0
        for recipient in recipients:
            try:
                sent += self._mail(recipient)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                log.error("e-mail to %s refused, kept queued: %s", recipient, error)
            except OSError as error:  # the server is unreachable: try again next round
                log.error(
                    "e-mail server unavailable, %d recipient(s) wait: %s", len(recipients), error
                )
                break
        return sent

    def _mail(self, recipient: str) -> int:
        assert self.mailer is not None
        unsent = (
            select(NotificationRow)
            .where(NotificationRow.recipient == recipient, NotificationRow.sent_at.is_(None))
            .order_by(NotificationRow.id)
            .limit(MAX_DIGEST)
        )
        if self.db.supports_row_locks:
            with self.db.transaction() as session:
                rows = session.scalars(unsent.with_for_update(skip_locked=True)).all()
                if not rows:
                    return 0  # another worker is mailing them
                self.mailer.send(recipient, *digest(rows))
                now = self.clock.now()
                for row in rows:
                    row.sent_at = now
            return 1
        with self.db.transaction() as session:
            rows = session.scalars(unsent).all()
            ids = [row.id for row in rows]
            message = digest(rows) if rows else None
        if message is None:
            return 0
        self.mailer.send(recipient, *message)
        with self.db.transaction() as session:
            session.execute(
                update(NotificationRow)
                .where(NotificationRow.id.in_(ids), NotificationRow.sent_at.is_(None))
                .values(sent_at=self.clock.now())
            )
        return 1


def digest(rows: Sequence[NotificationRow]) -> tuple[str, str]:
    """Subject and body of one e-mail carrying ``rows``: the notification itself when
    there is one, "N updates from Civicflow" listing them all otherwise."""
    if len(rows) == 1:
        return rows[0].subject, f"{rows[0].body}\n{FOOTER}"
    lines = [f"{len(rows)} updates from Civicflow:", ""]
    for number, row in enumerate(rows, 1):
        lines += [f"{number}. {row.subject}", textwrap.indent(row.body, "   "), ""]
    return f"{len(rows)} updates from Civicflow", "\n".join(lines) + FOOTER


def mailer_from(settings: Settings) -> Mailer | None:
    """The SMTP mailer the settings describe, or None when e-mail is not configured."""
    if settings.smtp_host is None:
        return None
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_sender,
        starttls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(
    db: Database,
    engine: Engine,
    settings: Settings,
    *,
    once: bool,
    name: str | None,
    poll: float,
    lease: timedelta,
    echo: Callable[[str], None],
) -> None:
    """What ``civicflow worker`` does: work until SIGTERM/SIGINT (or, with ``once``,
    until nothing is due), logging to stderr."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    worker = Worker(
        db, engine, name=name or default_name(), mailer=mailer_from(settings), lease=lease
    )
    if once:
        echo(f"{worker.drain()} job(s) processed")
        return
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: %s received, finishing the current job", worker.name, signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.run(stop, poll)
