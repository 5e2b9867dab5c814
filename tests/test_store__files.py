"""The attachment store hands back only the bytes that were stored: a file that is
gone, cut short or changed on disk is a ``StoredContentError``, never content."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow import AttachmentStore, NotFoundError, StoredContentError

CONTENT = b"%PDF-1.7\n" + bytes(range(256))


@pytest.fixture
def store(tmp_path: Path) -> AttachmentStore:
    return AttachmentStore(tmp_path / "attachments")


def test_stored_bytes_come_back_as_they_were(store: AttachmentStore) -> None:
    digest = store.put(CONTENT)
    assert store.read(digest, size=len(CONTENT)) == CONTENT


def test_a_missing_file_is_stored_content_error(store: AttachmentStore) -> None:
    digest = store.put(CONTENT)
    store.path(digest).unlink()
    with pytest.raises(StoredContentError, match="missing"):
        store.read(digest, size=len(CONTENT))


def test_a_file_of_another_size_is_stored_content_error(store: AttachmentStore) -> None:
    digest = store.put(CONTENT)
    store.path(digest).write_bytes(CONTENT[:10])
    with pytest.raises(StoredContentError, match="10 bytes, not the 265"):
        store.read(digest, size=len(CONTENT))


def test_a_changed_file_of_the_same_size_is_stored_content_error(store: AttachmentStore) -> None:
    digest = store.put(CONTENT)
    store.path(digest).write_bytes(CONTENT[:-1] + b"\x00")
    with pytest.raises(StoredContentError, match="SHA-256"):
        store.read(digest)


def test_a_malformed_digest_names_no_file(store: AttachmentStore) -> None:
    with pytest.raises(NotFoundError):
        store.read("../../etc/passwd")
