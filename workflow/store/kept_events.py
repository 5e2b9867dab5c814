"""Kept events: signals that arrived before their instance waited for them.

A definition's ``events: {name: {keep: DURATION}}`` says which events are kept and
how long. ``keep`` stores one in the transaction that received it; ``take`` removes
and returns the oldest live one an instance now waits for, in the transaction that
delivers it, so each kept event is delivered at most once. Expired rows of the
instance are removed on the way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow.store.models import KeptEventRow

__all__ = ["KeptEvent", "keep", "take"]


@dataclass(frozen=True, slots=True)
class KeptEvent:
    event: str
    data: dict[str, Any]
    actor: str
    actor_idp: str
    received_at: datetime


def keep(
    session: Session,
    *,
    instance_id: uuid.UUID,
    event: str,
    data: dict[str, Any],
    actor: str,
    actor_idp: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        KeptEventRow(
            instance_id=instance_id,
            event=event,
            data=data,
            actor=actor,
            actor_idp=actor_idp,
            received_at=now,
            expires_at=expires_at,
        )
    )


def take(
    session: Session, instance_id: uuid.UUID, events: Iterable[str], now: datetime
) -> KeptEvent | None:
    """The oldest live kept event among ``events``, removed; None when there is none.

    The caller holds the instance (locked or version-checked), so two commands cannot
    take the same row."""
    session.execute(
        delete(KeptEventRow).where(
            KeptEventRow.instance_id == instance_id, KeptEventRow.expires_at <= now
        )
    )
    row = session.scalars(
        select(KeptEventRow)
        .where(KeptEventRow.instance_id == instance_id, KeptEventRow.event.in_(list(events)))
        .order_by(KeptEventRow.received_at, KeptEventRow.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    kept = KeptEvent(row.event, dict(row.data), row.actor, row.actor_idp, row.received_at)
    session.delete(row)
    return kept
