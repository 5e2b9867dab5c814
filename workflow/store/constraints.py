"""Which integrity errors mean "someone else acted first".

A command checks before it writes (is this business key taken? which version comes
next?), but a concurrent command can pass the same check before either commits. The
unique keys below exist to catch exactly that at the database: the loser's INSERT
violates one of them, and the engine reports a ``ConflictError`` (try again). Any
other integrity error (a NOT NULL or foreign key, or a unique key no race can reach)
is a bug, and must surface as one instead of being reported as a lost race.

PostgreSQL names the violated constraint; SQLite names only its columns
(``UNIQUE constraint failed: instances.workflow_key, instances.business_key``), which
are mapped back to the constraint through the models' metadata.
"""

from __future__ import annotations

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from workflow.store.models import Base

__all__ = ["RACE_CONSTRAINTS", "lost_race", "violated_key"]

RACE_CONSTRAINTS = frozenset(
    {
        "uq_definitions_key_version",  # two registrations pick the same next version
        "uq_definitions_key_content_hash",  # the same text registered twice at once
        "uq_instances_workflow_key_business_key",  # two starts with one business key
        "uq_audit_events_stream_seq",  # two appends to one audit stream
        "pk_audit_streams",  # two first records of one stream (a new definition key)
    }
)

_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE for unique and primary keys
_SQLITE_UNIQUE = "UNIQUE constraint failed: "  # also said for primary keys

# "table.column, table.column" (as SQLite words it) -> the constraint's name
_BY_COLUMNS = {
    ", ".join(f"{table.name}.{column.name}" for column in constraint.columns): str(constraint.name)
    for table in Base.metadata.tables.values()
    for constraint in table.constraints
    if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint)
}


def violated_key(error: IntegrityError) -> str | None:
    """The name of the unique or primary key ``error`` violated; None when it is
    another kind of integrity error."""
    driver_error = error.orig
    diag = getattr(driver_error, "diag", None)  # psycopg
    if diag is not None:
        if getattr(driver_error, "sqlstate", None) != _UNIQUE_VIOLATION:
            return None
        name = getattr(diag, "constraint_name", None)
        return name if isinstance(name, str) else None
    message = str(driver_error)
    if not message.startswith(_SQLITE_UNIQUE):
        return None
    return _BY_COLUMNS.get(message.removeprefix(_SQLITE_UNIQUE).strip())


def lost_race(error: IntegrityError) -> bool:
    """Whether ``error`` is a concurrent command's write taking a key first."""
    return violated_key(error) in RACE_CONSTRAINTS
