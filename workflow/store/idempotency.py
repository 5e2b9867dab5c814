"""Stored first responses for ``Idempotency-Key`` requests (see ``IdempotencyRow``).

``claim`` inserts the key before the request's effect, inside the same transaction:
a concurrent request with the same key then waits on the unique index (PostgreSQL)
or on the write lock (SQLite) and, once the first commits, finds its response. If
the first rolls back, its key goes with it and the repeat runs afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.store.models import IdempotencyRow

__all__ = ["IdempotencyKeys", "StoredResponse"]

PENDING = 0


@dataclass(frozen=True, slots=True)
class StoredResponse:
    fingerprint: str
    status: int
    response: dict[str, Any]


class IdempotencyKeys:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, owner: str, key: str) -> StoredResponse | None:
        row = self.session.execute(
            select(
                IdempotencyRow.fingerprint, IdempotencyRow.status, IdempotencyRow.response
            ).where(IdempotencyRow.owner == owner, IdempotencyRow.key == key)
        ).one_or_none()
        return None if row is None else StoredResponse(row[0], row[1], row[2])

    def claim(self, owner: str, key: str, fingerprint: str, *, now: datetime) -> bool:
        """Reserve the key in this transaction; False when another request holds it
        (committed: ``find`` it)."""
        try:
            with self.session.begin_nested():
                self.session.add(
                    IdempotencyRow(
                        owner=owner,
                        key=key,
                        fingerprint=fingerprint,
                        status=PENDING,
                        response={},
                        created_at=now,
                    )
                )
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def complete(self, owner: str, key: str, status: int, response: dict[str, Any]) -> None:
        self.session.execute(
            update(IdempotencyRow)
            .where(IdempotencyRow.owner == owner, IdempotencyRow.key == key)
            .values(status=status, response=response)
        )
