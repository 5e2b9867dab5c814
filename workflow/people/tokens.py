"""API tokens: created once (the secret is shown then and never again), stored as a
SHA-256 hash, scoped, optionally acting for a person, revocable, last use recorded.

The secret is ``cf_`` + 43 URL-safe characters (256 random bits), so a plain hash is
as strong as a slow one here and keeps verification to one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.errors import InvalidDataError, NotFoundError
from workflow.people.registry import People
from workflow.store.models import ApiTokenRow

__all__ = ["TOKEN_SCOPES", "ApiTokens", "TokenInfo"]

TOKEN_SCOPES = (
    "definitions:write",
    "instances:start",
    "instances:read",
    "tasks:act",
    "webhooks:manage",
)
PREFIX = "cf_"
LAST_USE_GRANULARITY = timedelta(minutes=1)  # a busy token writes its last use at most this often


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: uuid.UUID
    name: str
    prefix: str
    scopes: tuple[str, ...]
    user: str | None
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "prefix": self.prefix,
            "scopes": list(self.scopes),
            "user": self.user,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=tuple(row.scopes),
        user=row.user_email,
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class ApiTokens:
    """The tokens table, through a session the caller's unit of work owns."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        name: str,
        *,
        scopes: tuple[str, ...] | list[str],
        user: str | None,
        created_by: str,
        now: datetime,
    ) -> tuple[str, TokenInfo]:
        """A new token: (the secret, to show once; what is stored about it)."""
        unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
        if unknown or not scopes:
            raise InvalidDataError(
                f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(TOKEN_SCOPES)}"
                if unknown
                else "a token needs at least one scope"
            )
        if not name.strip() or len(name) > 100:
            raise InvalidDataError("a token's name is 1 to 100 characters")
        email = People(self.session).user(user).email if user is not None else None
        secret = PREFIX + secrets.token_urlsafe(32)
        row = ApiTokenRow(
            name=name.strip(),
            token_hash=_hash(secret),
            prefix=secret[:10],
            scopes=sorted(set(scopes)),
            user_email=email,
            created_at=now,
            created_by=created_by,
        )
        self.session.add(row)
        self.session.flush()
        return secret, _info(row)

    def verify(self, secret: str, *, now: datetime) -> TokenInfo | None:
        """The live token with this secret, or None (unknown or revoked). Records its
        use (at most once a minute, so reads stay cheap)."""
        if not secret.startswith(PREFIX) or len(secret) > 100:
            return None
        row = self.session.scalars(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == _hash(secret))
        ).one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USE_GRANULARITY:
            self.session.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == row.id).values(last_used_at=now)
            )
            row.last_used_at = now
        return _info(row)

    def all(self, *, include_revoked: bool = False) -> list[TokenInfo]:
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_at, ApiTokenRow.name)
        if not include_revoked:
            query = query.where(ApiTokenRow.revoked_at.is_(None))
        return [_info(row) for row in self.session.scalars(query)]

    def revoke(self, name_or_id: str, *, now: datetime) -> list[TokenInfo]:
        """Revoke the live token(s) with this name, or the one with this id."""
        query = select(ApiTokenRow).where(ApiTokenRow.revoked_at.is_(None))
        try:
            query = query.where(ApiTokenRow.id == uuid.UUID(name_or_id))
        except ValueError:
            query = query.where(ApiTokenRow.name == name_or_id)
        rows = list(self.session.scalars(query))
        if not rows:
            raise NotFoundError(f"no live token named {name_or_id!r}")
        for row in rows:
            row.revoked_at = now
        self.session.flush()
        return [_info(row) for row in rows]
