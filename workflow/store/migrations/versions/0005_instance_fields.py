"""instance fields: an index of instances' input fields for the inbox's filters

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.store.fields import field_rows

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1_000


def upgrade() -> None:
    fields = op.create_table(
        "instance_fields",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=210), nullable=False),
        sa.Column("instance_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["instances.id"], name="fk_instance_fields_instance_id_instances"
        ),
        sa.PrimaryKeyConstraint("name", "value", "instance_id", name="pk_instance_fields"),
    )
    # index the instances that exist already, a batch at a time, in id order
    instances = sa.table("instances", sa.column("id", sa.Uuid()), sa.column("input", sa.JSON()))
    connection = op.get_bind()
    last = None
    while True:
        query = sa.select(instances.c.id, instances.c.input).order_by(instances.c.id).limit(BATCH)
        if last is not None:
            query = query.where(instances.c.id > last)
        batch = connection.execute(query).all()
        if not batch:
            break
        rows = [
            row for id_, input in batch if isinstance(input, dict) for row in field_rows(id_, input)
        ]
        if rows:
            connection.execute(fields.insert(), rows)
        last = batch[-1][0]


def downgrade() -> None:
    op.drop_table("instance_fields")
