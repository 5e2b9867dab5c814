"""Attachments go through the engine's file store: listed when accepted, refused
with the store's message when their type is wrong."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from tests.ui_support import BEN, as_person, start_inspection, text_of, ui_world

__all__ = ["as_person", "start_inspection", "ui_world"]


def test_a_text_file_is_attached(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection()
    ben = as_person(BEN)
    client.post(f"/tasks/{task}/claim", headers=ben)
    answer = client.post(
        f"/tasks/{task}/attachments",
        data={"file": (io.BytesIO(b"site notes"), "notes.txt", "text/plain")},
        headers=ben,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    assert "notes.txt" in text_of(client.get(f"/tasks/{task}", headers=ben))


def test_a_file_of_a_refused_type_is_explained(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection()
    ben = as_person(BEN)
    client.post(f"/tasks/{task}/claim", headers=ben)
    answer = client.post(
        f"/tasks/{task}/attachments",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe", "application/x-msdownload")},
        headers=ben,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert "are not accepted" in text_of(answer)
