"""The worker e-mails each recipient's queued notifications as one message, over real
SMTP to a server on loopback (aiosmtpd), and never mails the same ones twice."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from civicflow.config import Settings
from civicflow.worker import Worker, mailer_from
from integrations.email import SmtpMailer
from tests.conftest import DATA, T0, read, staff
from workflow.actors import SYSTEM
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.store.database import Database
from workflow.store.models import JobRow, NotificationRow

CLERK = staff("ana.ortiz@planning.example.gov", "planning/intake")
INTAKE = [  # the members of planning/intake in tests/data/directory/small.yaml
    "ana.ortiz@planning.example.gov",
    "ben.okafor@planning.example.gov",
    "dev.rao@planning.example.gov",
]
SENDER = "civicflow@city.example.gov"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd names the hook)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def by_recipient(self) -> dict[str, EmailMessage]:
        return {str(m["To"]): m for m in self.messages}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield handler, port
    finally:
        server.stop()


@pytest.fixture
def staffed(committed: Database) -> Database:
    with committed.transaction() as session:
        directory = load_directory(DATA / "directory" / "small.yaml")
        People(session).import_directory(directory, now=T0, actor=SYSTEM)
    return committed


def mailing_worker(db: Database, engine: Engine, clock: FixedClock, port: int) -> Worker:
    mailer = SmtpMailer("127.0.0.1", port, SENDER, timeout=5)
    return Worker(db, engine, name="mailer", mailer=mailer, clock=clock)


def start_cases(db: Database, engine: Engine, *addresses: str) -> None:
    with db.transaction() as session:
        key = engine.register(session, read("worker/sla"), path="sla.yaml").key
        for address in addresses:
            engine.start(session, workflow=key, input={"address": address}, actor=CLERK)


def move_to(db: Database, clock: FixedClock, kind: str) -> None:
    """Set the clock to when the timers of ``kind`` fall due."""
    with db.transaction() as session:
        clock.set(max(session.scalars(select(JobRow.due_at).where(JobRow.kind == kind))))


def unsent(db: Database) -> int:
    with db.transaction() as session:
        return len(
            session.scalars(select(NotificationRow).where(NotificationRow.sent_at.is_(None))).all()
        )


def test_notifications__one_email_per_recipient_with_all_their_updates(
    staffed: Database, engine: Engine, clock: FixedClock, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    start_cases(staffed, engine, "1 Main St", "2 Oak Ave")
    move_to(staffed, clock, "task.due")  # after the reminders: 2 reminders + 2 overdue each

    mailing_worker(staffed, engine, clock, port).run_once()

    mails = handler.by_recipient()
    assert sorted(mails) == INTAKE and len(handler.messages) == 3
    for mail in mails.values():
        assert mail["Subject"] == "4 updates from Civicflow"
        assert mail["From"] == SENDER
        body = mail.get_content()
        for address in ("1 Main St", "2 Oak Ave"):
            assert f"Reminder: Check completeness: {address}" in body
            assert f"Overdue: Check completeness: {address}" in body
    assert unsent(staffed) == 0


def test_notifications__a_second_run_sends_nothing(
    staffed: Database, engine: Engine, clock: FixedClock, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    start_cases(staffed, engine, "1 Main St", "2 Oak Ave")
    move_to(staffed, clock, "task.due")
    worker = mailing_worker(staffed, engine, clock, port)
    worker.run_once()
    first = len(handler.messages)

    worker.run_once()

    assert first == 3
    assert len(handler.messages) == first


def test_notification__alone_keeps_its_own_subject(
    staffed: Database, engine: Engine, clock: FixedClock, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    start_cases(staffed, engine, "1 Main St")
    move_to(staffed, clock, "task.remind")

    mailing_worker(staffed, engine, clock, port).run_once()

    assert {m["Subject"] for m in handler.messages} == {"Reminder: Check completeness: 1 Main St"}
    assert len(handler.messages) == 3


def test_notifications__stay_queued_while_the_server_is_unreachable(
    staffed: Database, engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    start_cases(staffed, engine, "1 Main St")
    move_to(staffed, clock, "task.remind")

    mailing_worker(staffed, engine, clock, free_port()).run_once()  # nobody listens there

    assert unsent(staffed) == 3
    assert any("e-mail server unavailable" in r.message for r in caplog.records)


def test_notifications__stay_queued_without_smtp_settings_and_say_so_once(
    staffed: Database, engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    start_cases(staffed, engine, "1 Main St")
    move_to(staffed, clock, "task.remind")
    worker = Worker(staffed, engine, name="no-mail", mailer=None, clock=clock)

    worker.run_once()
    clock.advance(timedelta(minutes=1))
    worker.run_once()

    assert unsent(staffed) == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.message for r in warnings] == [
        "e-mail is off (CIVICFLOW_SMTP_HOST unset): notifications stay queued"
    ]


def test_smtp_settings__from_civicflow_smtp_variables_including_login() -> None:
    handler, logins = Inbox(), []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        logins.append((auth.login, auth.password))
        return AuthResult(success=True)

    port = free_port()
    server = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,  # loopback only; production sets CIVICFLOW_SMTP_STARTTLS
    )
    server.start()
    try:
        settings = Settings.from_env(
            {
                "CIVICFLOW_SMTP_HOST": "127.0.0.1",
                "CIVICFLOW_SMTP_PORT": str(port),
                "CIVICFLOW_SMTP_SENDER": SENDER,
                "CIVICFLOW_SMTP_USERNAME": "civicflow",
                "CIVICFLOW_SMTP_PASSWORD": "s3cret",
            }
        )
        mailer = mailer_from(settings)
        assert mailer is not None
        mailer.send(INTAKE[0], "Reminder:\r\nBcc: someone@else.example", "body")
    finally:
        server.stop()

    assert logins == [(b"civicflow", b"s3cret")]
    [mail] = handler.messages
    assert (mail["From"], mail["To"]) == (SENDER, INTAKE[0])
    assert mail["Subject"] == "Reminder: Bcc: someone@else.example"  # one line, no new header
    assert mail["Bcc"] is None
