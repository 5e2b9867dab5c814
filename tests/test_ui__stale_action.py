"""A stale action — someone else acted first — shows a clear message and the task as
it is now, never an error page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui_support import ANA, BEN, as_person, start_inspection, text_of, ui_world

__all__ = ["as_person", "start_inspection", "ui_world"]


def test_acting_on_a_task_someone_else_completed_shows_its_fresh_state(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection()
    form = {"action": "reject", "notes": "no access", "visits": "1", "version": "1"}
    first = client.post(f"/tasks/{task}/act", data=form, headers=as_person(ANA))
    assert first.status_code == 302
    late = client.post(f"/tasks/{task}/act", data=form, headers=as_person(BEN))
    page = text_of(late)
    assert late.status_code == 409
    assert "Someone else changed this task before you did" in page
    assert "Completed: reject by ana@planning.example.gov" in page


def test_claiming_a_task_already_claimed_says_so(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection()
    assert client.post(f"/tasks/{task}/claim", headers=as_person(ANA)).status_code == 302
    late = client.post(f"/tasks/{task}/claim", data={"version": "1"}, headers=as_person(BEN))
    assert late.status_code == 409
    assert "Held by</dt><dd>ana@planning.example.gov" in text_of(late)
