"""inbox preferences: each person's saved inbox view, filters and sort

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 06:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"  # assigned "0005"; chained after 0010 (the latest on main)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_preferences",
        sa.Column("person", sa.String(length=320), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person", name=op.f("pk_inbox_preferences")),
    )


def downgrade() -> None:
    op.drop_table("inbox_preferences")
