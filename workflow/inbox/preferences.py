"""Each person's saved inbox (view, filters, sort): what the inbox page opens with.

Stored as the query's own plain values; ``InboxQuery`` validates them when the page
uses them, so a preference saved before a filter changed meaning is refused with the
same clear error as a typed one, never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.store.models import InboxPreferenceRow, TaskRow

__all__ = ["InboxPreferences", "queue_counts"]


class InboxPreferences:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, person: str) -> dict[str, Any]:
        row = self.session.get(InboxPreferenceRow, person)
        return dict(row.settings) if row is not None else {}

    def save(self, person: str, settings: Mapping[str, Any], *, now: datetime) -> None:
        row = self.session.get(InboxPreferenceRow, person)
        if row is None:
            self.session.add(
                InboxPreferenceRow(person=person, settings=dict(settings), updated_at=now)
            )
        else:
            row.settings = dict(settings)
            row.updated_at = now
        self.session.flush()


def queue_counts(session: Session, queues: frozenset[str]) -> dict[str, int]:
    """Open tasks per queue, for every queue given (zero included): one grouped count
    over the open-task index."""
    counts = dict.fromkeys(sorted(queues), 0)
    if queues:
        rows = session.execute(
            select(TaskRow.queue, func.count())
            .where(TaskRow.status == "open", TaskRow.queue.in_(sorted(queues)))
            .group_by(TaskRow.queue)
        )
        for queue, count in rows:
            counts[queue] = int(count)
    return counts
