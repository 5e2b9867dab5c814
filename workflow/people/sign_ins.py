"""Browser sessions opened by signing in through an identity provider.

Sessions live in the database, not in the cookie: the cookie holds a random token
and the table its SHA-256, so a stolen database does not yield usable cookies, any
web process can resume any session, and an identity provider's back-channel logout
can end a person's sessions wherever they are. Idle and absolute timeouts are
decided here, from the clock the caller passes, not from the cookie's own expiry.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.actors import Assurance
from workflow.people.pending_actions import PendingActions
from workflow.store.models import LogoutTokenRow, SignInSessionRow, UserRow

__all__ = ["SignInSession", "SignIns"]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignInSession:
    """A live session, as the web layer needs it to build the person's ``Actor``."""

    id: str  # the token's digest: safe to log and to name socket rooms with
    user_id: uuid.UUID
    email: str
    provider: str
    issuer: str
    subject: str
    sid: str | None
    assurance: Assurance
    id_token: str
    created_at: datetime


class SignIns:
    """Opens, resumes, steps up and ends sign-in sessions; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def open(
        self,
        *,
        email: str,
        provider: str,
        issuer: str,
        subject: str,
        sid: str | None,
        assurance: Assurance,
        id_token: str,
        now: datetime,
    ) -> str:
        """A new session for the person with ``email`` (signed in just now); returns
        the token for the cookie — the only time it exists outside the browser."""
        user_id = self.session.scalars(
            select(UserRow.id).where(UserRow.email == email.lower())
        ).one()
        token = secrets.token_urlsafe(32)
        self.session.add(
            SignInSessionRow(
                id=_digest(token),
                user_id=user_id,
                provider=provider,
                issuer=issuer,
                subject=subject,
                sid=sid,
                acr=assurance.acr,
                amr=list(assurance.amr),
                auth_time=_time(assurance.auth_time),
                id_token=id_token,
                created_at=now,
                last_seen_at=now,
                ended_at=None,
                ended_why=None,
            )
        )
        self.session.flush()
        return token

    def resume(
        self,
        token: str,
        *,
        now: datetime,
        idle: timedelta,
        absolute: timedelta,
        touch_after: timedelta = timedelta(0),
    ) -> SignInSession | None:
        """The live session behind ``token``, its idle clock restarted (at most every
        ``touch_after``, to spare a write per request); None when there is none or it
        timed out (a timed-out session is ended, not just ignored)."""
        row = self.session.get(SignInSessionRow, _digest(token))
        if row is None or row.ended_at is not None:
            return None
        if now - row.created_at >= absolute:
            self._end(row, "absolute timeout", now)
            return None
        if now - row.last_seen_at >= idle:
            self._end(row, "idle timeout", now)
            return None
        if now - row.last_seen_at >= touch_after:
            row.last_seen_at = now
        user = self.session.get(UserRow, row.user_id)
        if user is None or not user.active:
            self._end(row, "person deactivated", now)
            return None
        return SignInSession(
            id=row.id,
            user_id=row.user_id,
            email=user.email,
            provider=row.provider,
            issuer=row.issuer,
            subject=row.subject,
            sid=row.sid,
            assurance=Assurance(
                provider=row.provider,
                acr=row.acr,
                amr=tuple(str(a) for a in row.amr),
                auth_time=int(row.auth_time.timestamp()) if row.auth_time else None,
            ),
            id_token=row.id_token,
            created_at=row.created_at,
        )

    def step_up(
        self, token: str, *, assurance: Assurance, id_token: str, now: datetime
    ) -> str | None:
        """Record a re-authentication's proof on the session it strengthened, under a
        new token (the old one stops working; actions kept for the session follow
        it); None when the session is gone."""
        row = self.session.get(SignInSessionRow, _digest(token))
        if row is None or row.ended_at is not None:
            return None
        fresh = secrets.token_urlsafe(32)
        PendingActions(self.session).move(row.id, _digest(fresh))
        row.id = _digest(fresh)
        row.acr, row.amr = assurance.acr, list(assurance.amr)
        row.auth_time = _time(assurance.auth_time)
        row.id_token, row.last_seen_at = id_token, now
        self.session.flush()
        return fresh

    def end(self, token: str, *, why: str, now: datetime) -> str | None:
        """End the session behind ``token``; returns its id, or None if there was none."""
        row = self.session.get(SignInSessionRow, _digest(token))
        if row is None or row.ended_at is not None:
            return None
        self._end(row, why, now)
        return row.id

    def end_at_provider(
        self, *, issuer: str, subject: str | None, sid: str | None, now: datetime
    ) -> list[str]:
        """End the sessions a provider's logout token names: by its session id when it
        gives one, else all of the subject's sessions at that provider. Returns the
        ended sessions' ids (for disconnecting their live sockets)."""
        query = select(SignInSessionRow).where(
            SignInSessionRow.issuer == issuer, SignInSessionRow.ended_at.is_(None)
        )
        if sid is not None:
            query = query.where(SignInSessionRow.sid == sid)
        if subject is not None:
            query = query.where(SignInSessionRow.subject == subject)
        rows = list(self.session.scalars(query))
        for row in rows:
            self._end(row, "back-channel logout", now)
        return [row.id for row in rows]

    def use_logout_token(
        self, *, issuer: str, jti: str, expires_at: datetime, now: datetime
    ) -> bool:
        """Remember a logout token's ``jti``; False when it was used before (a replay).
        Tokens past their expiry are forgotten, since they are refused anyway."""
        self.session.execute(delete(LogoutTokenRow).where(LogoutTokenRow.expires_at < now))
        if self.session.get(LogoutTokenRow, (issuer, jti)) is not None:
            return False
        try:
            with self.session.begin_nested():  # a concurrent first use wins the key
                self.session.add(LogoutTokenRow(issuer=issuer, jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def _end(self, row: SignInSessionRow, why: str, now: datetime) -> None:
        row.ended_at, row.ended_why = now, why
        self.session.flush()


def _time(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)
