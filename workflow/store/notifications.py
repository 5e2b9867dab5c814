"""The queued e-mail notifications' statements, for the worker that sends them.

Notifications are written by the engine in the transaction that caused them; the
worker reads each recipient's unsent ones, mails them as one message and marks them
sent. The statements take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflow.store.models import NotificationRow

__all__ = ["Notification", "NotificationQueue"]


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    recipient: str
    subject: str
    body: str


class NotificationQueue:
    """The unsent notifications, through the session of the caller's unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def recipients(self, *, limit: int) -> list[str]:
        """People with unsent notifications, the longest-waiting first."""
        return list(
            self.session.scalars(
                select(NotificationRow.recipient)
                .where(NotificationRow.sent_at.is_(None))
                .group_by(NotificationRow.recipient)
                .order_by(func.min(NotificationRow.id))
                .limit(limit)
            )
        )

    def unsent(self, recipient: str, *, limit: int, lock: bool = False) -> list[Notification]:
        """``recipient``'s unsent notifications, oldest first. With ``lock`` (PostgreSQL)
        they stay locked until the transaction ends and rows another worker is
        mailing are skipped."""
        query = (
            select(NotificationRow)
            .where(NotificationRow.recipient == recipient, NotificationRow.sent_at.is_(None))
            .order_by(NotificationRow.id)
            .limit(limit)
        )
        if lock:
            query = query.with_for_update(skip_locked=True)
        return [
            Notification(row.id, row.recipient, row.subject, row.body)
            for row in self.session.scalars(query)
        ]

    def mark_sent(self, ids: Sequence[int], now: datetime) -> None:
        self.session.execute(
            update(NotificationRow)
            .where(NotificationRow.id.in_(list(ids)), NotificationRow.sent_at.is_(None))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
