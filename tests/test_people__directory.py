from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import DATA, T0
from workflow.actors import SYSTEM
from workflow.errors import DefinitionError
from workflow.people.directory import load_directory, parse_directory
from workflow.people.registry import People
from workflow.store.models import MembershipRow, UserRow

SMALL = DATA / "directory" / "small.yaml"


def _import(session: Session, path: Path = SMALL):
    return People(session).import_directory(load_directory(path), now=T0, actor=SYSTEM)


def test_import__creates_people_and_memberships(session: Session) -> None:
    result = _import(session)
    assert (result.users_created, result.users_updated, result.queues) == (4, 0, 4)
    ana = People(session).actor("Ana.Ortiz@planning.example.gov")
    assert ana.queues == {"planning/intake", "planning/supervisors"}
    assert ana.leads == {"planning/intake"}


def test_import__again_updates_and_never_duplicates(session: Session) -> None:
    _import(session)
    result = _import(session)
    assert (result.users_created, result.users_updated) == (0, 4)
    assert session.scalar(select(func.count()).select_from(UserRow)) == 4
    assert session.scalar(select(func.count()).select_from(MembershipRow)) == 6


def test_import__a_removed_queue_is_removed(session: Session, tmp_path: Path) -> None:
    _import(session)
    smaller = tmp_path / "d.yaml"
    smaller.write_text(
        SMALL.read_text().replace("queues: [planning/intake, planning/engineers]", "queues: []")
    )
    _import(session, smaller)
    assert People(session).actor("dev.rao@planning.example.gov").queues == frozenset()


def test_import__keeps_memberships_from_sign_in(session: Session) -> None:
    _import(session)
    People(session).sign_in(
        issuer="https://idp.example",
        subject="u-1",
        email="ben.okafor@planning.example.gov",
        email_verified=True,
        name="Ben Okafor",
        idp="agency-a",
        queues=["legal/counsel", "no/such-queue"],
        mfa=False,
        now=T0,
    )
    _import(session)
    assert People(session).actor("ben.okafor@planning.example.gov").queues == {
        "planning/intake",
        "legal/counsel",
    }


def test_sign_in__links_the_directory_person_by_email(session: Session) -> None:
    _import(session)
    actor = People(session).sign_in(
        issuer="https://idp.example",
        subject="u-9",
        email="cleo.park@legal.example.gov",
        email_verified=True,
        name="Cleo Park",
        idp="agency-a",
        queues=[],
        mfa=True,
        now=T0,
    )
    assert (actor.idp, actor.mfa, actor.queues) == ("agency-a", True, {"legal/counsel"})
    assert session.scalar(select(func.count()).select_from(UserRow)) == 4


def test_directory__errors_point_at_the_line(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_directory(DATA / "directory" / "broken.yaml")
    lines = {(p.line, p.message.split(":")[0]) for p in caught.value.problems}
    assert any(line == 5 and "'planning/intake' is not a declared" in msg for line, msg in lines)
    assert any(p.line == 6 and "email" in p.message for p in caught.value.problems)


def test_directory__the_demo_directory_is_valid() -> None:
    directory = load_directory(Path(__file__).parent.parent / "demo" / "directory.yaml")
    assert len(directory.departments) >= 4
    assert len(directory.users) >= 12


def test_directory__unknown_keys_are_named() -> None:
    with pytest.raises(DefinitionError, match="unknown key 'group'"):
        parse_directory(
            "departments: {a: {title: A}}\nusers: [{email: a@b.gov, group: x}]\n", "d.yaml"
        )
