"""axe-core (vendored from npm) finds no WCAG 2.2 A/AA violation on any page: the
inbox in each view, a task page, the same with a validation error, a completed
task, the not-found page, and the Spanish inbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser_support import World, axe_violations, live_ready

BEN = "ben@planning.example.gov"


@pytest.fixture
def ben(world: World, signed_in: Callable[..., Any]) -> Any:
    return signed_in(BEN)


@pytest.mark.slow
@pytest.mark.parametrize("view", ["mine", "queues", "overdue", "completed"])
def test_the_inbox_views(world: World, ben: Any, view: str) -> None:
    world.start(f"1 Axe St ({view})")
    ben.goto(f"/inbox?view={view}")
    live_ready(ben)
    assert axe_violations(ben) == []


@pytest.mark.slow
def test_a_task_page_with_and_without_errors(world: World, ben: Any) -> None:
    ben.goto(f"/tasks/{world.start('2 Axe St')}")
    ben.wait_for_selector(".cf-diagram svg")
    assert axe_violations(ben) == []
    ben.get_by_label("Site visits").fill("zero")
    ben.get_by_role("button", name="Accept").click()
    ben.wait_for_selector(".cf-diagram svg")
    assert axe_violations(ben) == []


@pytest.mark.slow
def test_a_completed_task_and_the_not_found_page(world: World, ben: Any) -> None:
    task = world.start("3 Axe St")
    world.api(
        f"/tasks/{task}/act",
        {"action": "reject", "data": {"notes": "not safe", "visits": 1}},
        who=BEN,
    )
    ben.goto(f"/tasks/{task}")
    assert axe_violations(ben) == []
    ben.goto("/tasks/00000000-0000-0000-0000-000000000000")
    assert axe_violations(ben) == []


@pytest.mark.slow
def test_the_spanish_inbox(world: World, ben: Any) -> None:
    ben.goto("/inbox?view=queues&lang=es")
    assert ben.locator("html").get_attribute("lang") == "es"
    assert axe_violations(ben) == []
