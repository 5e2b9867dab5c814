"""A sign-in names a person by (issuer, subject); the directory's person is claimed
once by a verified e-mail address, and an address is never merged across people."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import DATA, T0
from workflow.actors import SYSTEM, Actor, Assurance
from workflow.errors import ForbiddenError
from workflow.people.directory import load_directory
from workflow.people.registry import People
from workflow.store.models import UserRow

A = "https://idp.agency-a.example"
B = "https://idp.agency-b.example"


@pytest.fixture
def people(session: Session) -> People:
    people = People(session)
    people.import_directory(load_directory(DATA / "directory" / "small.yaml"), now=T0, actor=SYSTEM)
    return people


def sign_in(people: People, **changes: Any) -> Actor:
    claims: dict[str, Any] = {
        "issuer": A,
        "subject": "a-1",
        "email": "ben.okafor@planning.example.gov",
        "email_verified": True,
        "name": "Ben Okafor",
        "idp": "agency-a",
        "queues": ["planning/engineers"],
        "mfa": False,
        "now": T0,
    }
    return people.sign_in(**(claims | changes))


def users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(UserRow)) or 0)


def test_the_directory_person_is_claimed_by_a_verified_email(
    people: People, session: Session
) -> None:
    actor = sign_in(people)
    assert actor.queues == {"planning/intake", "planning/engineers"}  # directory + provider
    row = people.user("ben.okafor@planning.example.gov")
    assert (row.issuer, row.subject, users(session)) == (A, "a-1", 4)


def test_an_unverified_email_does_not_claim_the_directory_person(people: People) -> None:
    with pytest.raises(ForbiddenError, match="did not verify"):
        sign_in(people, email_verified=False)
    assert people.user("ben.okafor@planning.example.gov").issuer == "directory"


def test_after_the_claim_the_person_is_found_by_issuer_and_subject(
    people: People, session: Session
) -> None:
    sign_in(people)
    actor = sign_in(people, email="b.okafor@planning.example.gov", email_verified=False)
    assert actor.id == "b.okafor@planning.example.gov"
    assert users(session) == 4


def test_another_providers_person_with_the_same_email_is_refused(people: People) -> None:
    sign_in(people)
    with pytest.raises(ForbiddenError, match="another identity provider"):
        sign_in(people, issuer=B, subject="b-1", idp="agency-b")


def test_memberships_are_refreshed_from_each_sign_in(people: People) -> None:
    sign_in(people)
    actor = sign_in(people, queues=["legal/counsel", "no/such-queue"])
    assert actor.queues == {"planning/intake", "legal/counsel"}


def test_a_new_person_is_created_with_the_providers_queues(
    people: People, session: Session
) -> None:
    actor = sign_in(
        people,
        subject="a-9",
        email="new.person@planning.example.gov",
        name="New Person",
        assurance=Assurance(provider="agency-a", acr="urn:x:aal1", amr=("pwd",)),
    )
    assert (actor.name, actor.queues, users(session)) == (
        "New Person",
        {"planning/engineers"},
        5,
    )
    assert actor.assurance is not None and actor.assurance.acr == "urn:x:aal1"
