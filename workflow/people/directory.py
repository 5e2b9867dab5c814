"""The staff directory file (DESIGN.md §3): departments, groups, people and queues.

Installs without SSO, and the demo, name their staff here; with SSO, memberships come
from identity-provider claims instead. Parsed with the same line-aware loader as
definitions, so a mistake is reported at ``file:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.actors import Actor
from workflow.errors import DefinitionError, Problem
from workflow.language.loader import Document, load_document

__all__ = ["Directory", "DirectoryUser", "load_directory", "parse_directory"]

_SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    email: str
    name: str
    queues: frozenset[str]
    leads: frozenset[str]

    def actor(self, *, idp: str = "directory", mfa: bool = False) -> Actor:
        return Actor(
            id=self.email, name=self.name, idp=idp, queues=self.queues, leads=self.leads, mfa=mfa
        )


@dataclass(frozen=True, slots=True)
class Directory:
    departments: dict[str, tuple[str, tuple[str, ...]]]  # key -> (title, groups)
    users: dict[str, DirectoryUser]  # by e-mail, lower-case

    def user(self, email: str) -> DirectoryUser | None:
        return self.users.get(email.lower())

    def queues(self) -> list[str]:
        return [f"{d}/{g}" for d, (_t, groups) in self.departments.items() for g in groups]


def load_directory(path: str | Path) -> Directory:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError(
            [Problem(str(path), 1, 1, f"cannot read the file: {error}")]
        ) from error
    return parse_directory(text, str(path))


def parse_directory(text: str, path: str = "<string>") -> Directory:
    doc = load_document(text, path)
    problems: list[Problem] = []

    def problem(at: tuple[Any, ...], message: str) -> None:
        line, column = doc.where(at)
        problems.append(Problem(path, line, column, message))

    data = doc.data if isinstance(doc.data, dict) else {}
    if not isinstance(doc.data, dict):
        problem((), "a directory is a mapping with 'departments' and 'users'")
    for key in data:
        if key not in ("departments", "users"):
            problem((key,), f"unknown key '{key}': a directory has 'departments' and 'users'")
    departments = _departments(doc, data.get("departments"), problem)
    queues = {f"{d}/{g}" for d, (_t, groups) in departments.items() for g in groups}
    users = _users(doc, data.get("users"), queues, problem)
    if problems:
        raise DefinitionError(problems)
    return Directory(departments=departments, users=users)


def _departments(doc: Document, raw: Any, problem: Any) -> dict[str, tuple[str, tuple[str, ...]]]:
    result: dict[str, tuple[str, tuple[str, ...]]] = {}
    if not isinstance(raw, dict):
        problem(("departments",), "'departments' must map department keys to {title, groups}")
        return result
    for key, body in raw.items():
        at = ("departments", key)
        if not _SLUG.match(key):
            problem(at, f"department key '{key}' must be a lowercase slug")
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            problem(at, f"department '{key}' needs a title: {{title: ..., groups: [...]}}")
            continue
        groups = body.get("groups", [])
        if not isinstance(groups, list) or not all(
            isinstance(g, str) and _SLUG.match(g) for g in groups
        ):
            problem((*at, "groups"), "groups must be a list of lowercase slugs")
            groups = []
        result[key] = (body["title"], tuple(groups))
    return result


def _users(doc: Document, raw: Any, queues: set[str], problem: Any) -> dict[str, DirectoryUser]:
    result: dict[str, DirectoryUser] = {}
    if not isinstance(raw, list):
        problem(("users",), "'users' must be a list of people")
        return result
    for index, body in enumerate(raw):
        at = ("users", index)
        if not isinstance(body, dict):
            problem(at, "each user is a mapping with email, name and queues")
            continue
        email = body.get("email")
        if not isinstance(email, str) or not _EMAIL.match(email):
            problem((*at, "email"), "each user needs a valid 'email'")
            continue
        for key in body:
            if key not in ("email", "name", "queues", "leads"):
                problem((*at, key), f"unknown key '{key}': a user has email, name, queues, leads")
        sets: dict[str, frozenset[str]] = {}
        for field in ("queues", "leads"):
            values = body.get(field, [])
            if not isinstance(values, list):
                problem((*at, field), f"'{field}' must be a list of department/group queues")
                values = []
            for position, queue in enumerate(values):
                if queue not in queues:
                    problem((*at, field, position), f"'{queue}' is not a declared department/group")
            sets[field] = frozenset(v for v in values if isinstance(v, str))
        if email.lower() in result:
            problem(at, f"{email} is listed twice")
        result[email.lower()] = DirectoryUser(
            email=email.lower(),
            name=str(body.get("name") or email),
            queues=sets["queues"],
            leads=sets["leads"],
        )
    return result
