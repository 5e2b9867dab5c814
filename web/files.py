"""Attached files over HTTP: where the store lives, and how a file is handed out.

One response shape serves the staff UI and the API, so both are equally safe for
whatever a person uploaded: the bytes go out as a download (``Content-Disposition:
attachment``, the name as RFC 8187 ``filename*`` plus a plain-ASCII fallback, so
quotes, newlines or any script in a name cannot break the header), with the content
type recorded at upload, ``nosniff`` so a browser never guesses another type, and a
``sandbox`` Content-Security-Policy so that even a file a browser chose to render
runs no script in our origin and reaches nothing. The store refuses active types
(HTML, SVG...) at upload already; these headers are the second wall, not the first.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Response

from workflow import AttachmentContent, AttachmentStore

__all__ = ["HEADERS", "attachment_store", "content_disposition", "download"]

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, no-store",
}
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]")
FALLBACK_NAME = "attachment"


def attachment_store(settings: Any, *, max_bytes: int | None = None) -> AttachmentStore:
    """The engine's file store under the data directory (``<data_dir>/attachments``)."""
    root = settings.data_dir / "attachments"
    if max_bytes is None:
        return AttachmentStore(root)
    return AttachmentStore(root, max_bytes=max_bytes)


def content_disposition(filename: str) -> str:
    """``attachment`` with the name twice: ``filename*`` (UTF-8, percent-encoded: every
    byte outside the unreserved set, so nothing in it is a quote, separator or line
    break) for current browsers, and ``filename`` with only safe ASCII for others."""
    fallback = _FALLBACK_UNSAFE.sub("_", filename).strip(" .")[:150] or FALLBACK_NAME
    encoded = quote(filename, safe="", encoding="utf-8", errors="replace")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def download(opened: AttachmentContent) -> Response:
    """The response that hands out an attachment's verified bytes."""
    attachment = opened.attachment
    recorded = attachment.content_type.strip().lower()
    media_type = recorded if _MEDIA_TYPE.fullmatch(recorded) else "application/octet-stream"
    response = Response(opened.content, status=200, content_type=media_type)
    response.headers["Content-Disposition"] = content_disposition(attachment.filename)
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response
