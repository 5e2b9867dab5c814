"""An instance's attachments: the list, and each file's bytes.

Files are attached through the staff UI (the engine's ``attach``); the API reads
them. Both answers apply the instance's department boundary (another department's
case is a 404 like a missing one), and a file is served exactly as the UI serves it
(``web.files.download``: a download, its recorded type, ``nosniff``, a ``sandbox``
CSP) after its bytes were checked against the size and SHA-256 recorded at upload;
damaged or missing bytes are a 500 ``stored-content-damaged`` problem, nothing sent.
"""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask_openapi3.models.tag import Tag

from web.api import bp
from web.api.instances import viewer
from web.api.models import AttachmentList, AttachmentPath, InstancePath, problem_content
from web.api.respond import json_response
from web.files import attachment_store, download
from web.principal import current_principal, requires
from web.uow import read_session, services
from workflow import case_attachments, find_instance, open_attachment

TAG = [Tag(name="instances")]
_HEADER = {"schema": {"type": "string"}}
CONTENT: dict[Any, Any] = {
    200: {
        "description": "The file's bytes, in the content type recorded at upload, as a "
        "download; the same bytes that were uploaded (checked against their SHA-256)",
        "headers": {
            "Content-Disposition": {
                **_HEADER,
                "description": 'attachment; filename="ASCII fallback"; '
                "filename*=UTF-8''percent-encoded name (RFC 6266, RFC 8187)",
            },
            "X-Content-Type-Options": {**_HEADER, "description": "nosniff"},
            "Content-Security-Policy": {
                **_HEADER,
                "description": "default-src 'none'; sandbox; frame-ancestors 'none'",
            },
        },
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    },
    500: problem_content(
        "stored-content-damaged: the stored bytes are missing or differ from the upload "
        "(logged; an administrator restores the file); nothing is sent"
    ),
}


@bp.get("/instances/<uuid:instance_id>/attachments", tags=TAG, responses={200: AttachmentList})
@requires("instances:read")
def list_attachments(path: InstancePath) -> Response:
    """The files attached to an instance and its tasks, oldest first."""
    with read_session() as session:
        find_instance(
            session, path.instance_id, viewer=viewer(current_principal(), session), history=False
        )
        found = case_attachments(session, path.instance_id)
    items = [
        {
            **a,
            "links": {
                "content": {
                    "href": url_for(
                        "api.get_attachment", instance_id=path.instance_id, attachment_id=a["id"]
                    )
                }
            },
        }
        for a in found
    ]
    return json_response(AttachmentList.model_validate({"items": items}))


@bp.get(
    "/instances/<uuid:instance_id>/attachments/<uuid:attachment_id>", tags=TAG, responses=CONTENT
)
@requires("instances:read")
def get_attachment(path: AttachmentPath) -> Response:
    """One attached file's content, as a download."""
    with read_session() as session:
        opened = open_attachment(
            session,
            attachment_store(services().settings),
            instance_id=path.instance_id,
            attachment_id=path.attachment_id,
            viewer=viewer(current_principal(), session),
        )
    return download(opened)
