"""What staff wrote and attached on a case, oldest first, for the task page.

Read-only, like the inbox: the caller has already checked that the person may see
the case (the department boundary), and owns the session.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.store.models import AttachmentRow, CommentRow

__all__ = ["case_attachments", "case_comments"]


def case_comments(session: Session, instance_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CommentRow)
        .where(CommentRow.instance_id == instance_id)
        .order_by(CommentRow.created_at, CommentRow.id)
    )
    return [
        {
            "id": str(row.id),
            "author": row.author,
            "body": row.body,
            "mentions": list(row.mentions),
            "created_at": row.created_at,
            "task_id": str(row.task_id) if row.task_id else None,
        }
        for row in rows
    ]


def case_attachments(session: Session, instance_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AttachmentRow)
        .where(AttachmentRow.instance_id == instance_id)
        .order_by(AttachmentRow.created_at, AttachmentRow.id)
    )
    return [
        {
            "id": str(row.id),
            "filename": row.filename,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
            "uploaded_by": row.uploaded_by,
            "created_at": row.created_at,
            "task_id": str(row.task_id) if row.task_id else None,
        }
        for row in rows
    ]
