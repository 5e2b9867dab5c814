"""The inbox's sort orders, and the rows after a cursor as contiguous index ranges.

Each sort order is a ``SortKey``: its columns, ending in ``id`` so the order is total.
``ranges_after`` splits "strictly after this cursor" into disjoint ranges that are
each one stretch of an index keyed (branch column, *key columns*): an ``OR`` over the
sort columns would defeat the index bounds, so every branch reads each range in index
order instead. Nulls sort last on both databases (SQLite's indexes keep them first, so
it reads them as a range of their own), and a value most rows share (priority 0) is a
range of its own, so a page reaching it never sorts the whole group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Integer, bindparam, literal_column
from sqlalchemy import tuple_ as row
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import UnaryExpression

from workflow.store.models import TaskRow

__all__ = [
    "KEYS",
    "IndexRange",
    "SortColumn",
    "SortKey",
    "column_of",
    "order_by",
    "positions",
    "ranges_after",
]


def positions(key: SortKey, after: Sequence[Any]) -> tuple[str, ...]:
    """Where each cursor value lies (``SortColumn.where``): part of the SQL's shape."""
    return tuple(column.where(value) for column, value in zip(key.columns, after, strict=True))


@dataclass(frozen=True, slots=True)
class SortColumn:
    name: str
    descending: bool = False
    nullable: bool = False
    kind: str = "time"  # time | int | id
    # A value most rows share (priority 0). Its rows are read as a range of their
    # own, in index order; otherwise a page reaching them would sort the whole group.
    common: int | None = None

    def where(self, value: Any) -> str:
        """Where a cursor value lies: null, value, or ahead of / at / past common."""
        if value is None:
            return "null"
        if self.common is None:
            return "value"
        if value == self.common:
            return "common"
        return "ahead" if (value > self.common) == self.descending else "past"

    def ahead_of_common(self, attr: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        common = literal_column(str(self.common), Integer)
        return attr > common if self.descending else attr < common

    def past_common(self, attr: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
        common = literal_column(str(self.common), Integer)
        return attr < common if self.descending else attr > common


@dataclass(frozen=True, slots=True)
class SortKey:
    """A total order: its columns, the last one ``id``."""

    columns: tuple[SortColumn, ...]


@dataclass(frozen=True, slots=True)
class IndexRange:
    where: tuple[ColumnElement[bool], ...]
    order: tuple[UnaryExpression[Any], ...]
    null_due: bool = False  # only tasks without a due date: empty under a due bound


_ID = SortColumn("id", kind="id")
KEYS = {
    "due": SortKey((SortColumn("due_at", nullable=True), _ID)),
    "created": SortKey((SortColumn("created_at"), _ID)),
    "priority": SortKey(
        (
            SortColumn("priority", descending=True, kind="int", common=0),
            SortColumn("due_at", nullable=True),
            _ID,
        )
    ),
    "completed": SortKey(
        (SortColumn("completed_at", descending=True), SortColumn("id", descending=True, kind="id"))
    ),
}


def column_of(entity: Any, column: SortColumn) -> InstrumentedAttribute[Any]:
    attr: InstrumentedAttribute[Any] = getattr(entity, column.name)
    return attr


def order_by(
    entity: Any, columns: Sequence[SortColumn], *, first_not_null: bool = False
) -> list[UnaryExpression[Any]]:
    """ORDER BY for ``columns``; ``first_not_null`` when the range already excludes
    nulls of the first column (SQLite can then follow the index instead of sorting)."""
    order = []
    for position, column in enumerate(columns):
        attr = column_of(entity, column)
        if column.descending:
            order.append(attr.desc())
        elif column.nullable and not (first_not_null and position == 0):
            order.append(attr.asc().nulls_last())
        else:
            order.append(attr.asc())
    return order


def ranges_after(
    key: SortKey, after: tuple[str, ...] | None, *, nulls_last_in_index: bool
) -> list[IndexRange]:
    """The rows strictly after the cursor (or all rows) as disjoint ranges, each one
    contiguous stretch of an index keyed (branch column, *key columns*). ``after``
    says where each cursor value lies (``SortColumn.where``); the values are parameters
    a0, a1...

    Nulls sort last, so after a value of a nullable column come greater values, then
    nulls; after a null come only nulls with a greater id."""
    columns = key.columns
    first = columns[0]
    attr = column_of(TaskRow, first)
    if after is None:
        if first.common is not None:
            return _around_common(first, attr, None, [], columns, False)
        # PostgreSQL's ascending indexes keep nulls last, as the order wants;
        # SQLite's keep them first, so it reads the nulls as a range of their own
        if not first.nullable or nulls_last_in_index:
            return [IndexRange((), tuple(order_by(TaskRow, columns)))]
        return [
            IndexRange(
                (attr.is_not(None),), tuple(order_by(TaskRow, columns, first_not_null=True))
            ),
            IndexRange((attr.is_(None),), tuple(order_by(TaskRow, columns[1:])), null_due=True),
        ]
    ranges: list[IndexRange] = []
    prefix: list[ColumnElement[bool]] = []
    prefix_null = False
    last = len(columns) - 1
    ids = column_of(TaskRow, columns[last])
    for j, column in enumerate(columns):
        attr, where = column_of(TaskRow, column), after[j]
        value = bindparam(f"a{j}", type_=attr.type)
        # with the id next and in the same direction, one row comparison covers
        # "greater here, or equal here and a greater id" in one index range
        pair = j == last - 1 and column.descending == columns[last].descending
        if where == "ahead":
            ranges += _around_common(column, attr, value, prefix, columns[j:], prefix_null)
        elif where != "null":
            target: Any = row(attr, ids) if pair else attr
            bound: Any = row(value, bindparam(f"a{last}", type_=ids.type)) if pair else value
            beyond = target < bound if column.descending else target > bound
            order = order_by(TaskRow, columns[j:], first_not_null=True)
            ranges.append(IndexRange((*prefix, beyond), tuple(order), null_due=prefix_null))
            if column.nullable:
                order = order_by(TaskRow, columns[j + 1 :])
                ranges.append(IndexRange((*prefix, attr.is_(None)), tuple(order), null_due=True))
            if pair:
                break
        prefix.append(attr.is_(None) if where == "null" else attr == value)
        prefix_null = prefix_null or where == "null"
    return ranges


def _around_common(
    column: SortColumn,
    attr: InstrumentedAttribute[Any],
    value: BindParameter[Any] | None,
    prefix: list[ColumnElement[bool]],
    columns: Sequence[SortColumn],
    prefix_null: bool,
) -> list[IndexRange]:
    """After ``value`` (or from the start) in a column with a common value: the rows
    between it and the common value, then the common value's rows (one index range,
    in the next columns' order), then the rest."""
    full = tuple(order_by(TaskRow, columns))
    ahead = [column.ahead_of_common(attr)]
    if value is not None:
        ahead.append(attr < value if column.descending else attr > value)
    common = attr == literal_column(str(column.common), Integer)
    return [
        IndexRange((*prefix, *ahead), full, null_due=prefix_null),
        IndexRange((*prefix, common), tuple(order_by(TaskRow, columns[1:])), null_due=prefix_null),
        IndexRange((*prefix, column.past_common(attr)), full, null_due=prefix_null),
    ]
