"""Selected rows are claimed in bulk, each reported; one refusal spares the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui_support import ANA, BEN, as_person, start_inspection, text_of, ui_world

__all__ = ["as_person", "start_inspection", "ui_world"]


def test_a_bulk_claim_takes_the_free_tasks_and_names_the_held_one(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    free, held = start_inspection("1 Oak St"), start_inspection("2 Oak St")
    client.post(f"/tasks/{held}/claim", headers=as_person(ANA))
    ben = as_person(BEN)
    answer = client.post(
        "/inbox/bulk",
        data={"operation": "claim", "task": [free, held], "back": "/inbox?view=mine"},
        headers=ben,
    )
    assert answer.status_code == 302
    page = text_of(client.get("/inbox?view=mine", headers=ben))
    assert "1 task done." in page
    assert f"Task {held[:8]}:" in page
    assert "Inspect 1 Oak St" in page and "Inspect 2 Oak St" not in page
