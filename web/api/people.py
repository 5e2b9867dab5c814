"""People: absences and their substitutes.

A token acting for a person records that person's own absences; a token acting for
no one (an HR or directory integration) may record anyone's.
"""

from __future__ import annotations

from flask import Response
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel
from sqlalchemy.orm import Session

from web.api import bp
from web.api.models import AbsenceBody, IdempotencyHeader, PersonPath
from web.api.respond import Made, changing
from web.principal import current_principal, requires
from web.problems import ProblemError
from web.uow import services
from workflow import People

TAG = [Tag(name="people", description="Absences and substitutes")]


class Absence(BaseModel):
    user: str
    substitute: str
    starts_on: str
    ends_on: str


class Cleared(BaseModel):
    user: str
    cleared: bool


def _may_manage(email: str) -> None:
    principal = current_principal()
    if principal.user is not None and principal.user.lower() != email.lower():
        raise ProblemError("forbidden", "a person's token records only their own absences")


@bp.post("/people/<email>/absences", tags=TAG, responses={201: Absence})
@requires("tasks:act")
def add_absence(path: PersonPath, body: AbsenceBody, header: IdempotencyHeader) -> Response:
    """Record an absence: the substitute works the person's tasks on their behalf."""
    _may_manage(path.email)

    def make(session: Session) -> Made:
        People(session).set_substitute(
            user=path.email,
            substitute=body.substitute,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            actor=current_principal().actor(session),
            now=services().engine.clock.now(),
        )
        absence = Absence(
            user=path.email.lower(),
            substitute=body.substitute.lower(),
            starts_on=body.starts_on.isoformat(),
            ends_on=body.ends_on.isoformat(),
        )
        return 201, absence, {}

    return changing(make)


@bp.delete("/people/<email>/absences", tags=TAG, responses={200: Cleared})
@requires("tasks:act")
def clear_absences(path: PersonPath) -> Response:
    """Clear every recorded absence of the person."""
    _may_manage(path.email)

    def make(session: Session) -> Made:
        people = People(session)
        people.user(path.email)
        people.clear_substitutes(
            user=path.email,
            actor=current_principal().actor(session),
            now=services().engine.clock.now(),
        )
        return 200, Cleared(user=path.email.lower(), cleared=True), {}

    return changing(make)
