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
  ``OR`` over the sort columns would defeat the index bounds (``workflow.inbox.sort_keys``).
  Tasks without a due date sort last, on both databases.

* A business-data filter (``fields``) reads the input-field index
  (``workflow.store.fields``). When a filtered value is rare, the page comes from one
  pass over the matching instances' tasks; when it is common, each branch walks its
  index and probes the field index. One capped count decides (``_few_instances``).

Everything happens in one statement, plus at most one query for the people the actor
substitutes for and one count for a field filter. The caller owns the session and its
transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, TypeVarTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.errors import InvalidDataError
from workflow.inbox.sort_keys import (
    KEYS,
    IndexRange,
    SortColumn,
    SortKey,
    column_of,
    order_by,
    positions,
    ranges_after,
)
from workflow.limits import text_problem
from workflow.people.registry import People
from workflow.store.fields import FIELD_NAME, field_value
from workflow.store.models import InputFieldRow, TaskRow
from workflow.store.repository import task_view
from workflow.views import TaskView

__all__ = ["MAX_LIMIT", "SORTS", "VIEWS", "InboxPage", "InboxQuery", "inbox", "inbox_statement"]

VIEWS = ("mine", "queues", "overdue", "completed")
SORTS = ("due", "created", "priority")
MAX_LIMIT = 200
MAX_FIELDS = 10
MAX_CURSOR = 1_000
FEW_INSTANCES = 1_000  # a field filter matching fewer starts from the instances

Scalar = str | int | float | bool
_Ts = TypeVarTuple("_Ts")


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
            problem = None if value is None else text_problem(value)
            if problem is not None:  # PostgreSQL would fail on it rather than find nothing
                raise InvalidDataError(f"the {name} filter is invalid: {problem}")
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
    planned = _plan(session, actor, query, now)
    if planned is None:
        return InboxPage(items=[], next_cursor=None)
    shape, params = planned
    rows = list(session.scalars(_statement(shape), params))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = _encode_cursor(query, KEYS[query.order], rows[-1]) if more else None
    return InboxPage(items=[task_view(r) for r in rows], next_cursor=cursor)


def inbox_statement(
    session: Session, actor: Actor, query: InboxQuery, *, now: datetime
) -> Select[TaskRow] | None:
    """The statement ``inbox`` runs, with its values bound (``None`` when nothing can
    match, e.g. the actor has no queues); for tests and benchmarks that ask the
    database for its plan."""
    planned = _plan(session, actor, query, now)
    return None if planned is None else _statement(planned[0]).params(planned[1])


# -- what to read: the statement's shape, and the values it is run with ---------------


@dataclass(frozen=True, slots=True)
class _Shape:
    """Everything the SQL text depends on; the values are bound parameters.

    Building a union of a dozen sub-selects costs SQLAlchemy about as much time as
    PostgreSQL takes to answer it, so statements are built once per shape and reused
    (``_statement``); SQLAlchemy then finds them in its compiled cache, too."""

    dialect: str
    view: str
    order: str
    queues: int  # queue branches (q0, q1, ...)
    owners: int  # assignee branches: me and the people I stand in for (o0, o1, ...)
    filters: frozenset[str]  # workflow, state, queue, due_after, due_before, now
    fields: tuple[str, ...]  # input fields (n0, n1, ...), compared to f0, f1, ...
    after: tuple[str, ...] | None  # the cursor: each sort-key value's SortColumn.where
    outside_my_queues: bool  # overdue: my own tasks outside my queues (those inside
    # are already in a queue branch)
    by_instances: bool = False  # a field filter matches few instances: start from them


def _plan(
    session: Session, actor: Actor, query: InboxQuery, now: datetime
) -> tuple[_Shape, dict[str, Any]] | None:
    key = KEYS[query.order]
    after = _decode_cursor(query, key) if query.cursor is not None else None
    params: dict[str, Any] = {"limit": query.limit + 1, "me": actor.id}
    queues: list[str] = []
    owners: list[str] = []
    if query.view != "completed":
        queues = sorted(q for q in actor.queues if query.queue in (None, q))
    if query.view in ("mine", "overdue"):
        away = People(session).substituting_for(actor.id, now.date())
        owners = [actor.id, *sorted(set(away) - {actor.id})]
        params["owners"] = owners
    if query.view == "mine":
        queues = []
    if query.view == "queues" and not queues:
        return None
    params.update({f"q{i}": q for i, q in enumerate(queues)})
    params.update({f"o{i}": who for i, who in enumerate(owners)})
    filters = {
        name: getattr(query, name)
        for name in ("workflow", "state", "queue", "due_after", "due_before")
        if getattr(query, name) is not None
    }
    if query.view == "overdue":
        filters["now"] = now
    params.update(filters)
    dialect = session.get_bind().dialect.name
    fields = tuple(query.fields)
    for i, (name, value) in enumerate(query.fields.items()):
        params[f"n{i}"], params[f"f{i}"] = name, field_value(value)
    if after is not None:
        params.update({f"a{j}": value for j, value in enumerate(after) if value is not None})
    outside = query.view == "overdue" and bool(actor.queues)
    if outside:
        params["my_queues"] = sorted(actor.queues)
    shape = _Shape(
        dialect=dialect,
        view=query.view,
        order=query.order,
        queues=len(queues),
        owners=len(owners),
        filters=frozenset(filters),
        fields=fields,
        after=None if after is None else positions(key, after),
        outside_my_queues=outside,
        by_instances=bool(fields) and _few_instances(session, len(fields), params),
    )
    return shape, params


def _few_instances(session: Session, fields: int, params: dict[str, Any]) -> bool:
    """Whether some filtered field matches fewer than ``FEW_INSTANCES`` instances.

    Then the page is found by reading those instances' tasks once, which costs the
    same whatever the table's size. Otherwise matches are common and each branch
    walks its index in order, probing the field index, and stops after a page.
    Neither plan suits the other case (reading every task of 100,000 instances, or
    walking whole branches for 30 matches), and the planner cannot tell them apart
    from statistics on a value column, so one cheap count decides."""
    values = {**params, "few": FEW_INSTANCES}
    counts: tuple[int, ...] = tuple(session.execute(_count_statement(fields), values).one())
    return min(counts) < FEW_INSTANCES


@lru_cache(maxsize=16)
def _count_statement(fields: int) -> Select[Any]:
    """Each field's matching instances, counted up to ``FEW_INSTANCES``."""
    counts = []
    for i in range(fields):
        matches = (
            select(literal_column("1"))
            .where(*_field_matches(i))
            .limit(bindparam("few", type_=Integer, literal_execute=True))
            .subquery()
        )
        counts.append(select(func.count()).select_from(matches).scalar_subquery())
    return select(*counts)


@lru_cache(maxsize=512)
def _statement(shape: _Shape) -> Select[TaskRow]:
    """The SQL for one shape: a union of branch ranges cut to a page, or the single
    range when there is only one."""
    key = KEYS[shape.order]
    branches = _branches(shape)
    filters = _filters(shape)
    ranges = ranges_after(key, shape.after, nulls_last_in_index=shape.dialect == "postgresql")
    if shape.view == "overdue" or {"due_after", "due_before"} & shape.filters:
        ranges = [r for r in ranges if not r.null_due]  # a due bound excludes "no due date"
    # inline, so a prepared statement's generic plan knows the page size (and is used)
    limit = bindparam("limit", type_=Integer, literal_execute=True)
    if shape.by_instances:  # one pass over the few matching instances' tasks
        where = [or_(*branches), *filters]
        if all(r.where for r in ranges):  # else one range is all rows: no condition
            where.append(or_(*(and_(*r.where) for r in ranges)))
        return select(TaskRow).where(*where).order_by(*order_by(TaskRow, key.columns)).limit(limit)
    if len(branches) * len(ranges) == 1:
        return _select(select(TaskRow), branches[0], ranges[0], filters, limit)
    # Branches read only the sort key and id (an index-only read when nothing is
    # filtered on); the page's rows are fetched by id once the union is cut to a page.
    keys = select(TaskRow.id, *(column_of(TaskRow, c) for c in key.columns if c.name != "id"))
    selects = [_select(keys, where, rng, filters, limit) for where in branches for rng in ranges]
    if shape.dialect == "sqlite":  # SQLite takes ORDER BY/LIMIT in a union member only
        selects = [select(s.subquery()) for s in selects]  # inside a subquery
    merged = union_all(*selects).subquery("inbox")
    return (
        select(TaskRow)
        .join(merged, TaskRow.id == merged.c.id)
        .order_by(*order_by(merged.c, key.columns))
        .limit(limit)
    )


def _branches(shape: _Shape) -> list[ColumnElement[bool]]:
    """One condition per index range to read: each queue, each person."""
    if shape.view == "completed":
        return [TaskRow.completed_by == bindparam("me")]
    in_queues = [TaskRow.queue == bindparam(f"q{i}") for i in range(shape.queues)]
    if shape.view == "queues":
        return in_queues
    mine: list[ColumnElement[bool]] = [
        TaskRow.assignee == bindparam(f"o{i}") for i in range(shape.owners)
    ]
    # a task delegated to me but assigned to me or to someone I stand in for is
    # already in an assignee branch
    owners: BindParameter[Any] = bindparam("owners", expanding=True)
    mine.append(
        and_(
            TaskRow.delegate == bindparam("me"),
            or_(TaskRow.assignee.is_(None), TaskRow.assignee.not_in(owners)),
        )
    )
    if shape.outside_my_queues:
        mine_queues: BindParameter[Any] = bindparam("my_queues", expanding=True)
        mine = [and_(m, TaskRow.queue.not_in(mine_queues)) for m in mine]
    return mine if shape.view == "mine" else in_queues + mine


def _filters(shape: _Shape) -> list[ColumnElement[bool]]:
    status = "completed" if shape.view == "completed" else "open"
    # inline, not a parameter: a prepared statement's generic plan can use a partial
    # index (``WHERE status = 'open'``) only if the query says 'open' literally
    where: list[ColumnElement[bool]] = [TaskRow.status == literal_column(f"'{status}'")]
    equal = {"workflow": TaskRow.workflow_key, "state": TaskRow.state, "queue": TaskRow.queue}
    where.extend(column == bindparam(n) for n, column in equal.items() if n in shape.filters)
    if "due_after" in shape.filters:
        where.append(TaskRow.due_at >= bindparam("due_after"))
    if "due_before" in shape.filters:
        where.append(TaskRow.due_at < bindparam("due_before"))
    if "now" in shape.filters:  # overdue
        where.append(TaskRow.due_at < bindparam("now"))
    for i in range(len(shape.fields)):
        matches = _field_matches(i)
        if shape.by_instances:  # the few matching instances, read from the field index
            where.append(TaskRow.instance_id.in_(select(InputFieldRow.instance_id).where(*matches)))
        else:
            # A correlated scalar sub-select, which the planner cannot turn into a join:
            # one primary-key probe per task read in index order, and the branch stops
            # at a page. As a semi-join the planner would hash every matching
            # instance first (tens of thousands for a common value) in each branch.
            probe = (
                select(literal_column("1"))
                .where(*matches, InputFieldRow.instance_id == TaskRow.instance_id)
                .correlate(TaskRow)
                .scalar_subquery()
            )
            where.append(probe.is_not(None))
    return where


def _field_matches(i: int) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Field index rows of filter ``i``: name ``n<i>`` (rendered into the SQL, so the
    planner sees it even in a generic plan), canonical value ``f<i>``."""
    name = bindparam(f"n{i}", type_=String, literal_execute=True)
    return InputFieldRow.name == name, InputFieldRow.value == bindparam(f"f{i}")


def _select(
    statement: Select[*_Ts],
    branch: ColumnElement[bool],
    rng: IndexRange,
    filters: list[ColumnElement[bool]],
    limit: BindParameter[int],
) -> Select[*_Ts]:
    """One branch's range, in index order, cut off after one page (plus one row)."""
    return statement.where(branch, *rng.where, *filters).order_by(*rng.order).limit(limit)


# -- cursors -------------------------------------------------------------------------


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


def _encode_cursor(query: InboxQuery, key: SortKey, last: TaskRow) -> str:
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


def _decode_cursor(query: InboxQuery, key: SortKey) -> list[Any]:
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
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error) as error:
        raise InvalidDataError(
            "malformed cursor: pass next_cursor from the previous page unchanged"
        ) from error
    if check != _check(query, values):
        raise InvalidDataError(
            "the cursor belongs to a different query (view, sort or filters) or was edited; "
            "start again from the first page"
        )
    return typed


def _typed(column: SortColumn, value: Any) -> Any:
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
        if not isinstance(name, str) or not FIELD_NAME.fullmatch(name):
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
