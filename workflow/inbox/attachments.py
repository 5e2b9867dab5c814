"""Opening an attached file for someone who may see its case.

The department boundary is the one of ``find_instance``: a file of a case outside
the viewer's departments is reported exactly like a file (or a case) that does not
exist, so a download link cannot be used to probe another agency's cases. The bytes
come from the attachment store checked against the size and SHA-256 recorded at
upload (``AttachmentStore.read``), so what is handed out is what was uploaded, or
``StoredContentError``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.errors import NotFoundError, StoredContentError
from workflow.inbox.lookup import find_instance
from workflow.store.files import AttachmentStore
from workflow.store.models import AttachmentRow
from workflow.views import AttachmentView

__all__ = ["AttachmentContent", "open_attachment"]


@dataclass(frozen=True, slots=True)
class AttachmentContent:
    """An attachment's record and its verified bytes."""

    attachment: AttachmentView
    content: bytes


def open_attachment(
    session: Session,
    files: AttachmentStore,
    *,
    instance_id: uuid.UUID,
    attachment_id: uuid.UUID,
    viewer: Actor | None,
) -> AttachmentContent:
    """Attachment ``attachment_id`` of instance ``instance_id`` with its content.

    ``viewer`` is the department boundary (``None``: a caller bound by no person).
    ``NotFoundError`` when the case is not visible or the attachment is not one of
    its files; ``StoredContentError`` when the stored bytes are missing or changed."""
    find_instance(session, instance_id, viewer=viewer, history=False)
    row = session.scalars(
        select(AttachmentRow).where(
            AttachmentRow.id == attachment_id, AttachmentRow.instance_id == instance_id
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no attachment {attachment_id}")
    view = AttachmentView(
        id=row.id,
        instance_id=row.instance_id,
        task_id=row.task_id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        uploaded_by=row.uploaded_by,
        created_at=row.created_at,
    )
    try:
        content = files.read(row.sha256, size=row.size)
    except NotFoundError as error:  # a recorded digest that is not one: the record is bad
        raise StoredContentError(
            "the attachment's recorded SHA-256 is malformed", attachment=str(row.id)
        ) from error
    except StoredContentError as error:
        raise StoredContentError(error.message, attachment=str(row.id), **error.context) from error
    return AttachmentContent(attachment=view, content=content)
