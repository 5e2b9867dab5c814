"""Task actions kept while their person confirms who they are (MFA step-up).

A person without MFA presses an action on an ``assurance: mfa`` task; the web layer
keeps what they submitted here, sends them to their provider, and replays it once
when they come back. The row is bound to the sign-in session that submitted it (by
its id, which ``SignIns.step_up`` moves along when the session gets a new one), to
the task and to the task version the person saw; it is taken at most once and
forgotten after ``TTL``. The resume token exists only in the browser's resume URL;
the table holds its SHA-256, like sign-in sessions.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow.store.models import PendingActionRow

__all__ = ["PendingAction", "PendingActions"]

TTL = timedelta(minutes=10)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PendingAction:
    """What the person submitted: replayed as ``act(task_id, action, data,
    expected_version=task_version)``; ``shown`` fills the form again."""

    task_id: uuid.UUID
    task_version: int | None
    action: str
    data: dict[str, Any]
    shown: dict[str, Any]


class PendingActions:
    """Keeps and takes pending actions; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, session_id: str, action: PendingAction, *, now: datetime) -> str:
        """Keep ``action`` for the sign-in session ``session_id``; returns the resume
        token (the only time it exists outside the browser). Expired rows go."""
        self.session.execute(delete(PendingActionRow).where(PendingActionRow.expires_at <= now))
        token = secrets.token_urlsafe(32)
        self.session.add(
            PendingActionRow(
                id=_digest(token),
                session_id=session_id,
                task_id=action.task_id,
                task_version=action.task_version,
                action=action.action,
                data=action.data,
                shown=action.shown,
                created_at=now,
                expires_at=now + TTL,
            )
        )
        self.session.flush()
        return token

    def take(
        self, token: str, *, session_id: str, task_id: uuid.UUID, now: datetime
    ) -> PendingAction | None:
        """The action behind ``token``, removed so it cannot be taken again; None when
        there is none, it expired, it belongs to another session or another task (a
        token sent by someone else is left alone). Of two concurrent takes, one
        deletes the row and the other finds it gone."""
        row = self.session.get(PendingActionRow, _digest(token))
        if row is None or row.session_id != session_id or row.task_id != task_id:
            return None
        deleted = self.session.execute(
            delete(PendingActionRow).where(PendingActionRow.id == row.id)
        )
        if getattr(deleted, "rowcount", 0) != 1 or row.expires_at <= now:
            return None
        return PendingAction(
            task_id=row.task_id,
            task_version=row.task_version,
            action=row.action,
            data=dict(row.data),
            shown=dict(row.shown),
        )

    def move(self, old_session_id: str, new_session_id: str) -> None:
        """The session got a new id (step-up): its pending actions follow it."""
        rows = self.session.scalars(
            select(PendingActionRow).where(PendingActionRow.session_id == old_session_id)
        )
        for row in rows:
            row.session_id = new_session_id
        self.session.flush()
