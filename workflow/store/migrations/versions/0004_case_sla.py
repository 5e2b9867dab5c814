"""case sla

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:23:48.287865
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sla_paused_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("sla_overdue", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("sla_overdue")
        batch_op.drop_column("sla_paused_at")
        batch_op.drop_column("sla_due_at")
