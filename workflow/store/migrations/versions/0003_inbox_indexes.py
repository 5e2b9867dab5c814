"""inbox indexes: partial, one per view and sort order

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00

The inbox (``workflow.inbox.query``) reads each queue's or person's open tasks in index
order and stops after a page, so every (view, sort) pair has an index whose key is
that order followed by ``id``. The indexes are partial: open tasks are a small
fraction of the table, and the per-person ones (assignee, delegate) skip the many
open tasks that name nobody. The two
indexes they replace served only the old unpaginated inbox.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
ORDERS = [
    ("due", ["due_at", "id"]),
    ("created", ["created_at", "id"]),
    ("priority", ["priority", "due_at", "id"]),
]
INDEXES: list[tuple[str, list[str], str]] = [
    *((f"ix_tasks_open_queue_{order}", ["queue", *columns], OPEN) for order, columns in ORDERS),
    *(
        (f"ix_tasks_open_{person}_{order}", [person, *columns], f"{OPEN} AND {person} IS NOT NULL")
        for person in ("assignee", "delegate")
        for order, columns in ORDERS
    ),
    ("ix_tasks_completed_by", ["completed_by", "completed_at", "id"], "status = 'completed'"),
]


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_queue_status_due_at")
        batch_op.drop_index("ix_tasks_assignee_status")
        for name, columns, where in INDEXES:
            batch_op.create_index(
                name,
                columns,
                unique=False,
                postgresql_where=sa.text(where),
                sqlite_where=sa.text(where),
            )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        for name, _columns, _where in reversed(INDEXES):
            batch_op.drop_index(name)
        batch_op.create_index("ix_tasks_assignee_status", ["assignee", "status"], unique=False)
        batch_op.create_index(
            "ix_tasks_queue_status_due_at", ["queue", "status", "due_at"], unique=False
        )
