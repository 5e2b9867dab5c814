"""People and queues in the database: directory import, sign-in sync, substitutes,
and the ``Actor`` the engine sees for a person.

Memberships carry their ``source``: a directory import replaces only the
``directory`` memberships, a sign-in through identity provider X only X's. So an
install can mix a directory file with SSO group claims without one erasing the other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow.actors import Actor, Assurance
from workflow.errors import ForbiddenError, InvalidDataError, NotFoundError
from workflow.limits import MAX_EMAIL, printable, text_problem
from workflow.people.directory import Directory
from workflow.runtime.audit import AuditRecord
from workflow.store.models import (
    DepartmentRow,
    MembershipRow,
    QueueRow,
    SubstituteRow,
    UserRow,
)
from workflow.store.repository import Store

__all__ = ["ImportResult", "People"]

DIRECTORY = "directory"


@dataclass(frozen=True, slots=True)
class ImportResult:
    departments: int
    queues: int
    users_created: int
    users_updated: int
    memberships: int


class People:
    """Reads and writes people; every write is audited in the ``directory`` stream."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- who is this? -------------------------------------------------------------------

    def user(self, email: str) -> UserRow:
        if text_problem(email) is not None or len(email) > MAX_EMAIL:  # no one is called that
            raise NotFoundError(f"no person with e-mail {printable(email)}", user=printable(email))
        row = self.session.scalars(
            select(UserRow).where(UserRow.email == email.lower())
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no person with e-mail {email}", user=email)
        return row

    def actor(self, email: str, *, idp: str = DIRECTORY, mfa: bool = False) -> Actor:
        """The person as the engine sees them: their queues and the queues they lead."""
        user = self.user(email)
        queues, leads = self._memberships(user.id)
        return Actor(id=user.email, name=user.name, idp=idp, queues=queues, leads=leads, mfa=mfa)

    def _memberships(self, user_id: uuid.UUID) -> tuple[frozenset[str], frozenset[str]]:
        rows = self.session.execute(
            select(MembershipRow.queue, MembershipRow.lead).where(MembershipRow.user_id == user_id)
        ).all()
        return frozenset(q for q, _ in rows), frozenset(q for q, lead in rows if lead)

    def members_of(self, queue: str, *, leads_only: bool = False) -> list[str]:
        """Active people in ``queue`` (only its leads, if asked), by e-mail."""
        query = (
            select(UserRow.email)
            .join(MembershipRow, MembershipRow.user_id == UserRow.id)
            .where(MembershipRow.queue == queue, UserRow.active.is_(True))
        )
        if leads_only:
            query = query.where(MembershipRow.lead.is_(True))
        return list(self.session.scalars(query.distinct().order_by(UserRow.email)))

    def leads_of(self, queue: str) -> list[str]:
        return self.members_of(queue, leads_only=True)

    def is_member(self, email: str, queue: str) -> bool:
        return (
            self.session.scalar(
                select(MembershipRow.queue)
                .join(UserRow, MembershipRow.user_id == UserRow.id)
                .where(UserRow.email == email.lower(), MembershipRow.queue == queue)
                .limit(1)
            )
            is not None
        )

    def anyone(self) -> bool:
        """Whether any person is known (``serve`` imports the directory only when not)."""
        return self.session.scalar(select(UserRow.id).limit(1)) is not None

    def exists(self, email: str) -> bool:
        return (
            self.session.scalar(select(UserRow.id).where(UserRow.email == email.lower()))
            is not None
        )

    # -- directory import and sign-in ------------------------------------------------------

    def import_directory(
        self, directory: Directory, *, now: datetime, actor: Actor
    ) -> ImportResult:
        """Upsert departments, queues, people and their directory memberships.

        Re-importing the same file changes nothing; a person removed from a queue in the
        file loses that directory membership (their SSO memberships stay)."""
        for key, (title, groups) in directory.departments.items():
            department = self.session.get(DepartmentRow, key)
            if department is None:
                self.session.add(DepartmentRow(key=key, title=title))
            else:
                department.title = title
            for group in groups:
                if self.session.get(QueueRow, f"{key}/{group}") is None:
                    self.session.add(QueueRow(key=f"{key}/{group}", department=key, group=group))
        self.session.flush()
        created = updated = memberships = 0
        for person in directory.users.values():
            user, is_new = self._upsert_user(
                issuer=DIRECTORY,
                subject=person.email,
                email=person.email,
                name=person.name,
                now=now,
            )
            created += is_new
            updated += not is_new
            memberships += self._replace_memberships(
                user.id, DIRECTORY, person.queues, person.leads
            )
        result = ImportResult(
            departments=len(directory.departments),
            queues=len(directory.queues()),
            users_created=created,
            users_updated=updated,
            memberships=memberships,
        )
        self._audit(
            actor,
            now,
            "directory.imported",
            {
                "departments": result.departments,
                "queues": result.queues,
                "users_created": created,
                "users_updated": updated,
                "memberships": memberships,
            },
        )
        return result

    def sign_in(
        self,
        *,
        issuer: str,
        subject: str,
        email: str,
        email_verified: bool = False,
        name: str,
        idp: str,
        queues: Iterable[str],
        mfa: bool,
        now: datetime,
        assurance: Assurance | None = None,
    ) -> Actor:
        """Record a sign-in: the person by (issuer, subject), their IdP memberships
        replaced by the queues the IdP asserted (unknown queues are ignored).

        A person imported from the directory is claimed by the first sign-in whose
        provider vouches for their e-mail address (``email_verified``); from then on
        only that (issuer, subject) is them. An address that already belongs to
        someone else is refused, never merged."""
        user = self._signed_in_user(
            issuer=issuer,
            subject=subject,
            email=email,
            email_verified=email_verified,
            name=name,
            now=now,
        )
        known = set(
            self.session.scalars(select(QueueRow.key).where(QueueRow.key.in_(list(queues))))
        )
        self._replace_memberships(user.id, idp, frozenset(known), frozenset())
        return replace(self.actor(user.email, idp=idp, mfa=mfa), assurance=assurance)

    def _signed_in_user(
        self,
        *,
        issuer: str,
        subject: str,
        email: str,
        email_verified: bool,
        name: str,
        now: datetime,
    ) -> UserRow:
        email = email.lower()
        holder = self.session.scalars(select(UserRow).where(UserRow.email == email)).one_or_none()
        user = self.session.scalars(
            select(UserRow).where(UserRow.issuer == issuer, UserRow.subject == subject)
        ).one_or_none()
        if user is None and holder is not None:
            if holder.issuer != DIRECTORY:
                raise ForbiddenError(
                    f"{email} already belongs to a person who signs in through another "
                    "identity provider",
                    user=email,
                )
            if not email_verified:
                raise ForbiddenError(
                    f"{email} is in the directory, but the identity provider did not "
                    "verify this address, so the sign-in cannot be matched to that person",
                    user=email,
                )
            holder.issuer, holder.subject, holder.updated_at = issuer, subject, now
            user = holder
        if user is None:
            user, _ = self._upsert_user(
                issuer=issuer, subject=subject, email=email, name=name, now=now
            )
            return user
        if holder is not None and holder.id != user.id:
            raise ForbiddenError(
                f"{email} already belongs to another person; ask an administrator to "
                "merge or rename them",
                user=email,
            )
        if not user.active:
            raise ForbiddenError(f"{email} is deactivated", user=email)
        if (user.email, user.name) != (email, name):
            user.email, user.name, user.updated_at = email, name, now
        self.session.flush()
        return user

    def _upsert_user(
        self, *, issuer: str, subject: str, email: str, name: str, now: datetime
    ) -> tuple[UserRow, bool]:
        email = email.lower()
        user = self.session.scalars(
            select(UserRow).where(UserRow.issuer == issuer, UserRow.subject == subject)
        ).one_or_none()
        if user is None:
            user = self.session.scalars(select(UserRow).where(UserRow.email == email)).one_or_none()
        if user is None:
            user = UserRow(
                id=uuid.uuid4(),
                issuer=issuer,
                subject=subject,
                email=email,
                name=name,
                active=True,
                created_at=now,
                updated_at=now,
            )
            self.session.add(user)
            self.session.flush()
            return user, True
        if (user.email, user.name) != (email, name):
            user.email, user.name, user.updated_at = email, name, now
        return user, False

    def _replace_memberships(
        self, user_id: uuid.UUID, source: str, queues: frozenset[str], leads: frozenset[str]
    ) -> int:
        wanted = {q: q in leads for q in queues | leads}
        existing = {
            m.queue: m
            for m in self.session.scalars(
                select(MembershipRow).where(
                    MembershipRow.user_id == user_id, MembershipRow.source == source
                )
            )
        }
        for queue, membership in existing.items():
            if queue not in wanted:
                self.session.delete(membership)
            elif membership.lead != wanted[queue]:
                membership.lead = wanted[queue]
        for queue, lead in wanted.items():
            if queue not in existing:
                self.session.add(
                    MembershipRow(user_id=user_id, queue=queue, source=source, lead=lead)
                )
        self.session.flush()
        return len(wanted)

    # -- out of office --------------------------------------------------------------------

    def set_substitute(
        self,
        *,
        user: str,
        substitute: str,
        starts_on: date,
        ends_on: date,
        actor: Actor,
        now: datetime,
    ) -> None:
        if ends_on < starts_on:
            raise InvalidDataError("the absence ends before it starts", user=user)
        if user.lower() == substitute.lower():
            raise InvalidDataError("a person cannot substitute for themselves", user=user)
        for email in (user, substitute):
            self.user(email)  # both must exist
        self.session.add(
            SubstituteRow(
                user_email=user.lower(),
                substitute_email=substitute.lower(),
                starts_on=starts_on,
                ends_on=ends_on,
                created_at=now,
            )
        )
        self._audit(
            actor,
            now,
            "substitute.set",
            {
                "user": user.lower(),
                "substitute": substitute.lower(),
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )

    def clear_substitutes(self, *, user: str, actor: Actor, now: datetime) -> None:
        self.session.execute(delete(SubstituteRow).where(SubstituteRow.user_email == user.lower()))
        self._audit(actor, now, "substitute.cleared", {"user": user.lower()})

    def substituting_for(self, substitute: str, today: date) -> list[str]:
        """The people ``substitute`` stands in for today."""
        return list(
            self.session.scalars(
                select(SubstituteRow.user_email)
                .where(
                    SubstituteRow.substitute_email == substitute.lower(),
                    SubstituteRow.starts_on <= today,
                    SubstituteRow.ends_on >= today,
                )
                .distinct()
            )
        )

    def substitute_of(self, user: str, today: date) -> str | None:
        """Who works ``user``'s tasks today, if they are away."""
        return self.session.scalar(
            select(SubstituteRow.substitute_email)
            .where(
                SubstituteRow.user_email == user.lower(),
                SubstituteRow.starts_on <= today,
                SubstituteRow.ends_on >= today,
            )
            .order_by(SubstituteRow.id.desc())
            .limit(1)
        )

    def is_declared_substitute(self, substitute: str, *, of: str, today: date) -> bool:
        """Whether ``substitute`` is declared to stand in for ``of`` in an absence
        that has not ended: such a person may be delegated ``of``'s tasks."""
        return (
            self.session.scalar(
                select(SubstituteRow.id)
                .where(
                    SubstituteRow.user_email == of.lower(),
                    SubstituteRow.substitute_email == substitute.lower(),
                    SubstituteRow.ends_on >= today,
                )
                .limit(1)
            )
            is not None
        )

    def _audit(self, actor: Actor, now: datetime, action: str, details: dict[str, object]) -> None:
        Store(self.session).audit_stream(
            DIRECTORY,
            lambda seq: AuditRecord(
                stream=DIRECTORY,
                seq=seq,
                at=now,
                actor=actor.id,
                actor_idp=actor.idp,
                on_behalf_of=actor.on_behalf_of,
                action=action,
                instance_id=None,
                task_id=None,
                state_before=None,
                state_after=None,
                details=details,
            ),
        )
