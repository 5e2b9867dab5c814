"""Two staff of one queue see each other's claim and completion within a second,
without reloading (counts included); a person of another department sees nothing
and their socket hears nothing; presence shows who is looking at a task, also on a
page loaded after they started looking."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser_support import World, live_ready

ANA = "ana@planning.example.gov"
BEN = "ben@planning.example.gov"
PAT = "pat@parks.example.gov"
SECOND = 1_000  # ms


def _count(page: Any) -> int:
    return int(page.locator('[data-queue-count="planning/intake"]').inner_text())


def _inbox(signed_in: Callable[..., Any], who: str) -> Any:
    page = signed_in(who)
    page.goto("/inbox?view=queues")
    live_ready(page)
    return page


@pytest.mark.slow
def test_claim_and_completion_reach_the_other_inbox_within_a_second(
    world: World, signed_in: Callable[..., Any]
) -> None:
    ana, ben = _inbox(signed_in, ANA), _inbox(signed_in, BEN)
    before = _count(ben)
    task = world.start("5 Live St")
    row = ben.get_by_role("row").filter(has_text="Inspect 5 Live St")
    expect(row).to_be_visible(timeout=SECOND)
    expect(ben.locator('[data-queue-count="planning/intake"]')).to_have_text(
        str(before + 1), timeout=SECOND
    )

    ana.goto(f"/tasks/{task}")
    ana.get_by_role("button", name="Claim this task").click()
    expect(row).to_contain_text(ANA, timeout=SECOND)

    ana.get_by_label("Inspector's notes").fill("all fine")
    ana.get_by_label("Site visits").fill("1")
    ana.get_by_role("button", name="Accept").click()
    expect(ben.get_by_role("link", name="Inspect 5 Live St")).to_have_count(0, timeout=SECOND)
    expect(ben.locator('[data-queue-count="planning/intake"]')).to_have_text(
        str(before), timeout=SECOND
    )
    expect(ben.locator("#cf-announcer")).to_contain_text("completed", timeout=SECOND)


@pytest.mark.slow
def test_another_department_sees_and_hears_nothing(
    world: World, signed_in: Callable[..., Any]
) -> None:
    ben, pat = _inbox(signed_in, BEN), _inbox(signed_in, PAT)
    task = world.start("6 Quiet St")
    expect(ben.get_by_role("link", name="Inspect 6 Quiet St")).to_be_visible(timeout=SECOND)
    world.api(f"/tasks/{task}/claim", {}, who=BEN)
    expect(ben.get_by_role("row").filter(has_text="6 Quiet St")).to_contain_text(
        BEN, timeout=SECOND
    )
    assert pat.locator("body").get_attribute("data-events") is None
    expect(pat.get_by_text("6 Quiet St")).to_have_count(0)


@pytest.mark.slow
def test_the_queue_sees_who_is_viewing_a_task(world: World, signed_in: Callable[..., Any]) -> None:
    ben = _inbox(signed_in, BEN)
    task = world.start("7 Glance St")
    expect(ben.get_by_role("link", name="Inspect 7 Glance St")).to_be_visible(timeout=SECOND)
    ana = signed_in(ANA)
    ana.goto(f"/tasks/{task}")
    live_ready(ana)
    expect(ben.get_by_role("row").filter(has_text="7 Glance St")).to_contain_text(
        "Viewing now: Ana Ortiz", timeout=SECOND
    )

    # A page loaded after she started viewing knows at once (no presence change is
    # coming), and keeps knowing after the script's resync redraws the table.
    later = signed_in(BEN)
    later.goto("/inbox?view=queues")
    row = later.get_by_role("row").filter(has_text="7 Glance St")
    expect(row).to_contain_text("Viewing now: Ana Ortiz", timeout=SECOND)
    live_ready(later)
    expect(later.locator("#inbox-live")).to_have_attribute("data-synced", re.compile(r"\d"))
    expect(row).to_contain_text("Viewing now: Ana Ortiz", timeout=SECOND)

    ana.goto("/inbox?view=queues")  # she leaves the task: events still update the row
    for page in (ben, later):
        expect(page.get_by_role("row").filter(has_text="7 Glance St")).not_to_contain_text(
            "Viewing now", timeout=SECOND
        )
