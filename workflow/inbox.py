"""The inbox: a person's tasks as a paginated, filtered query.

An inbox page must cost the same with ten thousand tasks in the database as with ten
million, so the query is shaped for the indexes (``TaskRow.__table_args__``):

* Every view is a union of *branches*, one per place a task can come from — one of
  my queues, me as assignee, each person I substitute for, me as delegate. Each
  branch is an index range read in index order and cut off after one page, and an
  outer ``ORDER BY … LIMIT`` merges them. A naive ``queue IN (…) ORDER BY due_at``
  cannot use the index order across several queues, so it reads and sorts every
  open task of those queues; the union reads about one page per branch.
* Pages are keyset-paginated: the cursor carries the last row's sort key and id, and
  the next page starts strictly after it. Offsets would re-read every earlier page.
* "After the cursor" is split into ranges that are each one contiguous index range
  (``(due_at, id) > (d, i)``, then the tasks without a due date, …), because an
  ``OR`` over the sort columns would defeat the index bounds. Tasks without a due
  date sort last, on both databases.

Everything happens in one statement, plus at most one query for the people the actor
substitutes for. The caller owns the session and its transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, func, literal, or_, select
from sqlalchemy import tuple_ as row
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from sqlalchemy.sql.elements import UnaryExpression

from workflow.actors import Actor
from workflow.errors import InvalidDataError
from workflow.people import People
from workflow.store.models import InstanceRow, TaskRow
from workflow.store.repository import task_view
from workflow.views import TaskView

__all__ = ["MAX_LIMIT", "SORTS", "VIEWS", "InboxPage", "InboxQuery", "inbox"]

VIEWS = ("mine", "queues", "overdue", "completed")
SORTS = ("due", "created", "priority")
MAX_LIMIT = 200
MAX_FIELDS = 10
MAX_CURSOR = 1_000
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")

Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class InboxQuery:
    """What to list. ``view``:

    * ``mine`` — open tasks assigned to me, delegated to me, or assigned to someone I
      substitute for today;
    * ``queues`` — open tasks in my queues, claimed or not;
    * ``overdue`` — open tasks in my queues or mine whose ``due_at`` has passed;
    * ``completed`` — tasks I completed, most recent first (``sort`` does not apply).

    Filters narrow any view: ``due_after <= due_at < due_before`` (half-open, so
    consecutive day ranges neither overlap nor leave gaps) and ``fields``, equality
    on top-level fields of the instance's ``input`` (``{"address": "1 Main St"}``).
    ``sort``: ``due`` (earliest first, no due date last), ``created`` (oldest first)
    or ``priority`` (highest first, then by due date). Invalid values raise
    ``InvalidDataError`` naming the valid ones.
    """

    view: str
    _: KW_ONLY
    workflow: str | None = None
    state: str | None = None
    queue: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    fields: Mapping[str, Scalar] = field(default_factory=lambda: MappingProxyType({}))
    sort: str = "due"
    limit: int = 50
    cursor: str | None = None

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise InvalidDataError(f"unknown inbox view '{self.view}': use {_choices(VIEWS)}")
        if self.sort not in SORTS:
            raise InvalidDataError(f"unknown sort '{self.sort}': use {_choices(SORTS)}")
        if type(self.limit) is not int or not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidDataError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
        for name in ("workflow", "state", "queue"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidDataError(f"the {name} filter must be a non-empty text")
        for name in ("due_before", "due_after"):
            moment = getattr(self, name)
            if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
                raise InvalidDataError(f"{name} must be a timezone-aware date and time")
        if self.due_before and self.due_after and self.due_after >= self.due_before:
            raise InvalidDataError("due_after must be earlier than due_before")
        object.__setattr__(self, "fields", MappingProxyType(_checked_fields(self.fields)))
        if self.cursor is not None and not isinstance(self.cursor, str):
            raise InvalidDataError("the cursor must be the text of an earlier next_cursor")

    @property
    def order(self) -> str:
        """The order the rows come in: the sort, or completion time for ``completed``."""
        return "completed" if self.view == "completed" else self.sort


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: list[TaskView]
    next_cursor: str | None  # None on the last page


def inbox(session: Session, actor: Actor, query: InboxQuery, *, now: datetime) -> InboxPage:
    """One page of ``actor``'s inbox as of ``now`` (which decides what is overdue and
    whose substitute the actor is today)."""
    key = _KEYS[query.order]
    after = _decode_cursor(query, key) if query.cursor else None
    branches = _branches(session, actor, query, now)
    if not branches:
        return InboxPage(items=[], next_cursor=None)
    dialect = session.get_bind().dialect.name
    filters = _filters(query, now, dialect)
    selects = [
        _select(where, rng, filters, query, dialect, query.limit + 1)
        for where in branches
        for rng in _ranges(key, after)
        if not (rng.null_due and _has_due_bound(query))
    ]
    if not selects:
        return InboxPage(items=[], next_cursor=None)
    if len(selects) == 1:
        statement = selects[0]
        ordered: Any = TaskRow
    else:
        parts = [select(s.subquery()) for s in selects]  # SQLite: LIMIT only in a subquery
        ordered = aliased(TaskRow, parts[0].union_all(*parts[1:]).subquery("inbox"))
        statement = select(ordered).order_by(*key.order(ordered)).limit(query.limit + 1)
    rows = list(session.scalars(statement))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = _encode_cursor(query, key, rows[-1]) if more else None
    return InboxPage(items=[task_view(r) for r in rows], next_cursor=cursor)


# -- where the tasks come from ---------------------------------------------------------


def _branches(
    session: Session, actor: Actor, query: InboxQuery, now: datetime
) -> list[ColumnElement[bool]]:
    """One condition per index range to read: each queue, each person."""
    if query.view == "completed":
        return [TaskRow.completed_by == actor.id]
    queues = sorted(q for q in actor.queues if query.queue in (None, q))
    in_queues = [TaskRow.queue == q for q in queues]
    if query.view == "queues":
        return in_queues
    away = People(session).substituting_for(actor.id, now.date())
    owners = [actor.id, *sorted(set(away) - {actor.id})]
    mine: list[ColumnElement[bool]] = [TaskRow.assignee == who for who in owners]
    # a task delegated to me but assigned to me or to someone I stand in for is
    # already in an assignee branch
    mine.append(
        and_(
            TaskRow.delegate == actor.id,
            or_(TaskRow.assignee.is_(None), TaskRow.assignee.not_in(owners)),
        )
    )
    if query.queue is not None:
        mine = [and_(m, TaskRow.queue == query.queue) for m in mine]
    if query.view == "mine":
        return mine
    # overdue: my queues, then my tasks outside them (those inside are already listed)
    if actor.queues:
        mine = [and_(m, TaskRow.queue.not_in(sorted(actor.queues))) for m in mine]
    return in_queues + mine


def _filters(query: InboxQuery, now: datetime, dialect: str) -> list[ColumnElement[bool]]:
    status = "completed" if query.view == "completed" else "open"
    where: list[ColumnElement[bool]] = [TaskRow.status == status]
    if query.workflow is not None:
        where.append(TaskRow.workflow_key == query.workflow)
    if query.state is not None:
        where.append(TaskRow.state == query.state)
    if query.queue is not None:
        where.append(TaskRow.queue == query.queue)
    if query.due_after is not None:
        where.append(TaskRow.due_at >= query.due_after)
    if query.due_before is not None:
        where.append(TaskRow.due_at < query.due_before)
    if query.view == "overdue":
        where.append(TaskRow.due_at < now)
    where.extend(_field_equals(name, value, dialect) for name, value in query.fields.items())
    return where


def _has_due_bound(query: InboxQuery) -> bool:
    return query.view == "overdue" or query.due_before is not None or query.due_after is not None


def _field_equals(name: str, value: Scalar, dialect: str) -> ColumnElement[bool]:
    """``input.<name> == value`` with JSON semantics on both databases: the text "5"
    is not the number 5, and 5 equals 5.0."""
    if dialect == "postgresql":
        return cast(InstanceRow.input[name], JSONB) == cast(literal(json.dumps(value)), JSONB)
    path = f'$."{name}"'
    kind = func.json_type(InstanceRow.input, path)
    if isinstance(value, bool):
        return kind == ("true" if value else "false")
    extracted = func.json_extract(InstanceRow.input, path)
    if isinstance(value, str):
        return and_(kind == "text", extracted == value)
    return and_(kind.in_(("integer", "real")), extracted == value)


def _select(
    branch: ColumnElement[bool],
    rng: _Range,
    filters: list[ColumnElement[bool]],
    query: InboxQuery,
    dialect: str,
    limit: int,
) -> Select[TaskRow]:
    statement = select(TaskRow)
    if query.fields:
        statement = statement.join(InstanceRow, InstanceRow.id == TaskRow.instance_id)
    return statement.where(branch, *rng.where, *filters).order_by(*rng.order).limit(limit)


# -- sort keys, ranges and cursors ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    descending: bool = False
    nullable: bool = False
    kind: str = "time"  # time | int | id


@dataclass(frozen=True, slots=True)
class _Key:
    """A total order: its columns, the last one ``id``."""

    columns: tuple[_Column, ...]

    def order(self, entity: Any) -> list[UnaryExpression[Any]]:
        return _order(entity, self.columns)


@dataclass(frozen=True, slots=True)
class _Range:
    where: tuple[ColumnElement[bool], ...]
    order: tuple[UnaryExpression[Any], ...]
    null_due: bool = False  # only tasks without a due date: empty under a due bound


_ID = _Column("id", kind="id")
_KEYS = {
    "due": _Key((_Column("due_at", nullable=True), _ID)),
    "created": _Key((_Column("created_at"), _ID)),
    "priority": _Key(
        (_Column("priority", descending=True, kind="int"), _Column("due_at", nullable=True), _ID)
    ),
    "completed": _Key(
        (_Column("completed_at", descending=True), _Column("id", descending=True, kind="id"))
    ),
}


def _attr(entity: Any, column: _Column) -> InstrumentedAttribute[Any]:
    attr: InstrumentedAttribute[Any] = getattr(entity, column.name)
    return attr


def _order(
    entity: Any, columns: Sequence[_Column], *, first_not_null: bool = False
) -> list[UnaryExpression[Any]]:
    """ORDER BY for ``columns``; ``first_not_null`` when the range already excludes
    nulls of the first column (SQLite can then follow the index instead of sorting)."""
    order = []
    for position, column in enumerate(columns):
        attr = _attr(entity, column)
        if column.descending:
            order.append(attr.desc())
        elif column.nullable and not (first_not_null and position == 0):
            order.append(attr.asc().nulls_last())
        else:
            order.append(attr.asc())
    return order


def _ranges(key: _Key, after: Sequence[Any] | None) -> list[_Range]:
    """The rows strictly after ``after`` (or all rows) as disjoint ranges, each one
    contiguous stretch of an index keyed (branch column, *key columns*).

    Nulls sort last, so after a value of a nullable column come greater values, then
    nulls; after a null come only nulls with a greater id."""
    columns = key.columns
    if after is None:
        first = _attr(TaskRow, columns[0])
        if not columns[0].nullable:
            return [_Range((), tuple(_order(TaskRow, columns)))]
        return [
            _Range((first.is_not(None),), tuple(_order(TaskRow, columns, first_not_null=True))),
            _Range((first.is_(None),), tuple(_order(TaskRow, columns[1:])), null_due=True),
        ]
    ranges: list[_Range] = []
    prefix: list[ColumnElement[bool]] = []
    prefix_null = False
    last = len(columns) - 1
    for j, column in enumerate(columns):
        attr, value = _attr(TaskRow, column), after[j]
        # with the id next and in the same direction, one row comparison covers
        # "greater here, or equal here and a greater id" in one index range
        pair = j == last - 1 and column.descending == columns[last].descending
        if value is not None:
            bound: Any = (value, after[last]) if pair else value
            target: Any = row(attr, _attr(TaskRow, columns[last])) if pair else attr
            beyond = target < bound if column.descending else target > bound
            order = _order(TaskRow, columns[j:], first_not_null=True)
            ranges.append(_Range((*prefix, beyond), tuple(order), null_due=prefix_null))
            if column.nullable:
                order = _order(TaskRow, columns[j + 1 :])
                ranges.append(_Range((*prefix, attr.is_(None)), tuple(order), null_due=True))
            if pair:
                break
        prefix.append(attr.is_(None) if value is None else attr == value)
        prefix_null = prefix_null or value is None
    return ranges


def _fingerprint(query: InboxQuery) -> list[Any]:
    """What a cursor is only valid for: the same view, order and filters."""
    return [
        query.view,
        query.order,
        query.workflow,
        query.state,
        query.queue,
        query.due_before.isoformat() if query.due_before else None,
        query.due_after.isoformat() if query.due_after else None,
        sorted(query.fields.items()),
    ]


def _check(query: InboxQuery, values: list[Any]) -> str:
    text = json.dumps([_fingerprint(query), values], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode_cursor(query: InboxQuery, key: _Key, last: TaskRow) -> str:
    values: list[Any] = []
    for column in key.columns:
        value = getattr(last, column.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, uuid.UUID):
            value = str(value)
        values.append(value)
    body = json.dumps({"k": values, "c": _check(query, values)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def _decode_cursor(query: InboxQuery, key: _Key) -> list[Any]:
    """The sort key a cursor carries, typed; a cursor that was edited, truncated or
    made for another query is refused rather than silently skipping tasks."""
    text = query.cursor or ""
    try:
        if len(text) > MAX_CURSOR:
            raise ValueError("too long")
        body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        values, check = body["k"], body["c"]
        if not isinstance(values, list) or len(values) != len(key.columns):
            raise ValueError("wrong shape")
        typed = [_typed(column, value) for column, value in zip(key.columns, values, strict=True)]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidDataError(
            "malformed cursor: pass next_cursor from the previous page unchanged"
        ) from error
    if check != _check(query, values):
        raise InvalidDataError(
            "the cursor belongs to a different query (view, sort or filters) or was edited; "
            "start again from the first page"
        )
    return typed


def _typed(column: _Column, value: Any) -> Any:
    if value is None:
        if not column.nullable:
            raise ValueError(f"{column.name} cannot be null")
        return None
    if column.kind == "id":
        return uuid.UUID(value)
    if column.kind == "int":
        if type(value) is not int:
            raise ValueError(f"{column.name} must be a whole number")
        return value
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{column.name} must carry its time zone")
    return moment


# -- validation -------------------------------------------------------------------------


def _checked_fields(fields: Mapping[str, Any]) -> dict[str, Scalar]:
    if not isinstance(fields, Mapping):
        raise InvalidDataError("fields must map input field names to values")
    if len(fields) > MAX_FIELDS:
        raise InvalidDataError(f"at most {MAX_FIELDS} fields can be filtered on")
    checked: dict[str, Scalar] = {}
    for name, value in fields.items():
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
            raise InvalidDataError(
                f"field name {name!r} is not valid: use letters, digits, '_' and '-' "
                "(starting with a letter or '_'), at most 100 characters"
            )
        if not isinstance(value, str | int | float) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            raise InvalidDataError(
                f"field '{name}' must equal a text, a number or true/false, not {value!r}"
            )
        checked[name] = value
    return checked


def _choices(options: Sequence[str]) -> str:
    return ", ".join(options[:-1]) + f" or {options[-1]}"
