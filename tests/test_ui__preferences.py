"""A person's saved filters are what their inbox opens with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui_support import BEN, as_person, start_inspection, text_of, ui_world

__all__ = ["as_person", "start_inspection", "ui_world"]


def test_saved_filters_open_the_inbox(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    start_inspection("1 Oak St")
    start_inspection("9 Pine Ave")
    ben = as_person(BEN)
    saved = client.post(
        "/inbox/preferences",
        data={"view": "queues", "field": "address=9 Pine Ave", "sort": "created"},
        headers=ben,
    )
    assert saved.status_code == 302
    page = text_of(client.get("/inbox", headers=ben))
    assert "Inspect 9 Pine Ave" in page and "Inspect 1 Oak St" not in page
