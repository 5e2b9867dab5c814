"""Attachment bytes, stored on disk by content hash.

Files are written once under ``<root>/ab/cd/<sha256>`` (identical uploads share one
file) and are only ever handed back as downloads: the web layer serves them with
``Content-Disposition: attachment`` and ``nosniff``. Types that a browser would run
(HTML, SVG, JavaScript, XML) are refused at upload, whatever the file is called.
Reading checks the bytes against the SHA-256 (and size) recorded at upload, so a
damaged or substituted file is reported, not served.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from workflow.errors import InvalidDataError, NotFoundError, StoredContentError

__all__ = ["DEFAULT_TYPES", "AttachmentStore"]

DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
}
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
_ACTIVE_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")


class AttachmentStore:
    def __init__(
        self,
        root: str | Path,
        *,
        max_bytes: int = 20 * 1024 * 1024,
        types: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.types = DEFAULT_TYPES if types is None else types

    def check(self, filename: str, content_type: str, content: bytes) -> None:
        """Refuse what must not be stored, saying why; store nothing."""
        if not content:
            raise InvalidDataError("the file is empty", filename=filename)
        if len(content) > self.max_bytes:
            raise InvalidDataError(
                f"the file is {len(content)} bytes; the limit is {self.max_bytes}",
                filename=filename,
            )
        allowed = ", ".join(sorted(self.types))
        extensions = self.types.get(content_type)
        if extensions is None:
            raise InvalidDataError(
                f"files of type '{content_type}' are not accepted; accepted: {allowed}",
                filename=filename,
            )
        if not filename.lower().endswith(extensions):
            raise InvalidDataError(
                f"'{filename}' does not look like {content_type} "
                f"(expected {', '.join(extensions)})",
                filename=filename,
            )
        magic = _MAGIC.get(content_type)
        if magic is not None and not content.startswith(magic):
            raise InvalidDataError(f"'{filename}' is not really {content_type}", filename=filename)
        head = content[:1024].lstrip().lower()
        if content_type.startswith("text/") and head.startswith(_ACTIVE_MARKERS):
            raise InvalidDataError(
                f"'{filename}' contains markup a browser could run; upload it as PDF",
                filename=filename,
            )

    def put(self, content: bytes) -> str:
        """Store bytes (atomically) and return their SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        path = self.path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
                handle.write(content)
                temporary = handle.name
            os.replace(temporary, path)
        return digest

    def read(self, digest: str, *, size: int | None = None) -> bytes:
        """The bytes stored under ``digest``, checked against it (and against ``size``
        when the caller recorded one): a file that is gone, cut short or changed on
        disk is ``StoredContentError``, never handed out as if it were the upload."""
        path = self.path(digest)
        try:
            content = path.read_bytes()
        except FileNotFoundError as error:
            raise StoredContentError(
                "the attachment's stored content is missing", sha256=digest
            ) from error
        except IsADirectoryError as error:
            raise StoredContentError(
                "the attachment's stored content is not a file", sha256=digest
            ) from error
        if size is not None and len(content) != size:
            raise StoredContentError(
                f"the attachment's stored content is {len(content)} bytes, "
                f"not the {size} that were uploaded",
                sha256=digest,
            )
        if hashlib.sha256(content).hexdigest() != digest:
            raise StoredContentError(
                "the attachment's stored content does not match the SHA-256 recorded at upload",
                sha256=digest,
            )
        return content

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFoundError("no such attachment", sha256=digest)
        return self.root / digest[:2] / digest[2:4] / digest
