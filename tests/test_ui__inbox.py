"""The inbox page: a person's tasks, queue counts, and the department boundary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui_support import BEN, PAT, as_person, start_inspection, text_of, ui_world

__all__ = ["as_person", "start_inspection", "ui_world"]  # fixtures used below


def test_the_queue_view_lists_an_open_task_with_its_count(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection("7 Elm Rd")
    page = text_of(client.get("/inbox?view=queues", headers=as_person(BEN)))
    assert f'href="/tasks/{task}">Inspect 7 Elm Rd</a>' in page
    assert 'data-queue-count="planning/intake">1</span>' in page


def test_another_department_sees_nothing_of_it(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    start_inspection("7 Elm Rd")
    page = text_of(client.get("/inbox?view=queues", headers=as_person(PAT)))
    assert "7 Elm Rd" not in page


def test_an_anonymous_visitor_is_sent_to_sign_in(client: Any, ui_world: Any) -> None:
    answer = client.get("/inbox?view=mine")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/auth/login?next=")


def test_a_bad_filter_is_explained_on_the_page(
    client: Any, as_person: Callable[[str], dict[str, str]]
) -> None:
    answer = client.get("/inbox?view=queues&due_after=tomorrow", headers=as_person(BEN))
    assert answer.status_code == 400
    assert "must be a date like 2026-12-31" in text_of(answer)
