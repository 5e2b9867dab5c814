"""The worker: fires due timers and sends queued e-mail notifications.

Timers (task deadlines, reminders, escalations, wait timeouts) are ``jobs`` rows the
engine writes in the same transaction as the change that set them. A worker takes
them through ``workflow.JobQueue`` (whose docstring has the details) in two steps:

1. **claim** — one short transaction leases a batch of due rows (first those whose
   lease expired: their worker died; then ``pending`` ones due now, oldest first)
   with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers
   claim side by side, and **starts** the first: only a started job is charged an
   attempt.
2. **process** — each job in its own transaction: the job is marked ``done`` only if
   the lease is still this worker's (a fencing token), ``Engine.run_timer`` applies
   it, and the next job of the batch is started; all of it commits together or not
   at all, so a timer fires exactly once however many workers run and whenever one
   is killed, and a crash is charged to the one job that was being applied.

A job whose effect raises is retried ``max_attempts`` times with a growing delay, then
marked ``failed`` with the error in its payload; it never crashes the worker nor
loops forever. A job that was being applied when its worker died ``max_attempts``
times (it keeps killing workers) is failed the same way when next claimed; the rest
of a dead worker's batch is reclaimed uncharged. ``civicflow jobs failed`` lists
failed jobs, ``civicflow jobs retry`` queues them again.

SQLite has no ``SKIP LOCKED``, and needs none: its single write lock serialises
claims. Run one worker per SQLite file (``serve`` runs it in-process); scale out on
PostgreSQL.

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
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import FrameType
from typing import Any

from civicflow.config import Settings
from integrations.egress import Egress
from integrations.email import Mailer, SmtpMailer
from integrations.outbound import DeliveryRunner
from workflow import (
    TIMER_KINDS,
    CivicflowError,
    Claim,
    Clock,
    Database,
    Engine,
    JobQueue,
    Notification,
    NotificationQueue,
)

__all__ = ["TIMER_KINDS", "Claim", "Worker", "digest", "mailer_from", "run_worker"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

MAX_DIGEST = 100  # notifications in one e-mail; more wait for the next round
FOOTER = "\n-- \nCivicflow: you receive this for the tasks and queues you work in.\n"


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
        deliveries: DeliveryRunner | None = None,
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
        self._started: set[int] = set()  # claims of the current batch charged an attempt
        self.deliveries = deliveries  # outbound webhooks, each round after the jobs

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
        for index, claim in enumerate(claims):
            self.process(claim, then=claims[index + 1] if index + 1 < len(claims) else None)
        self.send_notifications()
        delivered = self.deliveries.run_once() if self.deliveries is not None else 0
        return len(claims) + delivered

    def drain(self) -> int:
        """Rounds until nothing is due; returns the jobs processed (``--once``)."""
        total = 0
        while (done := self.run_once()) > 0:
            total += done
        return total

    # -- jobs -----------------------------------------------------------------------------

    def claim(self) -> list[Claim]:
        """Lease up to ``batch`` due jobs to this worker and start the first, in one
        short transaction; returns them in the order to apply them."""
        now = self.clock.now()
        with self.db.transaction() as session:
            queue = JobQueue(session)
            claims, dead = queue.claim(
                worker=self.name,
                kinds=TIMER_KINDS,
                now=now,
                lease=self.lease,
                limit=self.batch,
                max_attempts=self.max_attempts,
            )
            started = bool(claims) and queue.start(claims[0])
        self._started = {claims[0].id} if started else set()
        for claim in dead:
            log.error(
                "job %d (%s) failed: its worker died or its lease expired while applying it, "
                "%d times",
                claim.id,
                claim.kind,
                claim.attempts,
            )
        return claims

    def process(self, claim: Claim, *, then: Claim | None = None) -> str:
        """Apply one claimed job in its own transaction, starting ``then`` (the next
        job of the batch) in the same one; returns what happened: ``done``,
        ``skipped`` (no longer applies), ``retry``, ``failed`` or ``lost`` (the claim
        was taken over after its lease expired)."""
        if claim.id not in self._started and not self._start_alone(claim):
            return "lost"
        try:
            with self.db.transaction() as session:
                # Mark it done first: one statement that locks the row and checks the
                # claim. It only counts if the effect below commits with it.
                queue = JobQueue(session)
                if not queue.complete(claim, self.clock.now()):
                    log.info("job %d: claim lost (lease expired, reclaimed); not applied", claim.id)
                    next_started = then is not None and queue.start(then)
                    outcome = "lost"
                else:
                    applied = self.engine.run_timer(
                        session,
                        kind=claim.kind,
                        instance_id=claim.instance_id,
                        task_id=claim.task_id,
                        payload=dict(claim.payload),
                    )
                    next_started = then is not None and queue.start(then)
                    outcome = "done" if applied else "skipped"
        except Exception as error:
            # CivicflowError is an expected refusal (the instance vanished, a conflict);
            # anything else is a bug, logged with its traceback. Both are retried a
            # bounded number of times, then recorded: the worker must keep going.
            if not isinstance(error, CivicflowError):
                log.exception("job %d (%s) raised unexpectedly", claim.id, claim.kind)
            return self._record_failure(claim, error, then)
        if next_started and then is not None:
            self._started.add(then.id)
        return outcome

    def _start_alone(self, claim: Claim) -> bool:
        """Charge ``claim`` its attempt in a transaction of its own (when the previous
        job could not start it with its own commit)."""
        try:
            with self.db.transaction() as session:
                started = JobQueue(session).start(claim)
        except Exception:
            log.exception("job %d: not started; it is reclaimed when its lease expires", claim.id)
            return False
        if not started:
            log.info("job %d: claim lost (lease expired, reclaimed); not applied", claim.id)
            return False
        self._started.add(claim.id)
        return True

    def _record_failure(self, claim: Claim, error: Exception, then: Claim | None) -> str:
        now = self.clock.now()
        expected = isinstance(error, CivicflowError)
        detail: dict[str, Any] = {
            "type": type(error).__name__,
            # a bug's text may carry internals (SQL, values): it stays in the log
            "message": str(error) if expected else "unexpected error: see the worker's log",
            "at": now.isoformat(),
        }
        if isinstance(error, CivicflowError) and error.context:
            detail["context"] = {k: str(v) for k, v in error.context.items()}
        try:
            with self.db.transaction() as session:
                queue = JobQueue(session)
                outcome, attempts, retry_at = queue.fail(
                    claim,
                    detail,
                    now,
                    max_attempts=self.max_attempts,
                    retry_delay=self.retry_delay,
                )
                next_started = then is not None and queue.start(then)
        except Exception:
            log.exception(
                "job %d: could not record its failure; it is retried when its lease expires",
                claim.id,
            )
            return "lost"
        if next_started and then is not None:
            self._started.add(then.id)
        if outcome == "failed":
            log.error(
                "job %d (%s) failed after %d attempts: %s: %s",
                claim.id,
                claim.kind,
                attempts,
                detail["type"],
                error,
            )
        elif outcome == "retry":
            log.warning(
                "job %d (%s) attempt %d of %d failed, retrying at %s: %s",
                claim.id,
                claim.kind,
                attempts,
                self.max_attempts,
                retry_at.isoformat() if retry_at else "-",
                error,
            )
        return outcome

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
            recipients = NotificationQueue(session).recipients(limit=self.batch)
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
        if self.db.supports_row_locks:
            with self.db.transaction() as session:
                queue = NotificationQueue(session)
                rows = queue.unsent(recipient, limit=MAX_DIGEST, lock=True)
                if not rows:
                    return 0  # another worker is mailing them
                self.mailer.send(recipient, *digest(rows))
                queue.mark_sent([row.id for row in rows], self.clock.now())
            return 1
        with self.db.transaction() as session:
            rows = NotificationQueue(session).unsent(recipient, limit=MAX_DIGEST)
        if not rows:
            return 0
        self.mailer.send(recipient, *digest(rows))
        with self.db.transaction() as session:
            NotificationQueue(session).mark_sent([row.id for row in rows], self.clock.now())
        return 1


def digest(rows: Sequence[Notification]) -> tuple[str, str]:
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


def delivery_runner(db: Database, engine: Engine, settings: Settings) -> DeliveryRunner:
    """The outbound webhook sender a worker runs each round (``docs/webhooks.md``)."""
    egress = Egress(allow_private=settings.webhook_allow_private)
    return DeliveryRunner(db, egress, clock=engine.clock)


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
        db,
        engine,
        name=name or default_name(),
        mailer=mailer_from(settings),
        lease=lease,
        deliveries=delivery_runner(db, engine, settings),
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
