"""One person completes a whole task with the keyboard only: from the inbox to the
task, claim it, fill every kind of field, and act."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser_support import World, live_ready

BEN = "ben@planning.example.gov"


def _tab_to(page: Any, name: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element's text or label is ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
                 const label = el.labels && el.labels[0] ? el.labels[0].innerText : '';
                 return (el.innerText || el.value || '').trim() + '|' + label.trim(); }"""
        )
        text, label = focused.split("|", 1)
        if name in (text, label) or label.startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r}")


@pytest.mark.slow
def test_a_task_is_completed_with_the_keyboard_only(
    world: World, signed_in: Callable[..., Any]
) -> None:
    world.start("9 Keyboard Way")
    page = signed_in(BEN)
    page.goto("/inbox?view=queues")
    live_ready(page)
    _tab_to(page, "Inspect 9 Keyboard Way")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Inspect 9 Keyboard Way")).to_be_visible()

    _tab_to(page, "Claim this task")
    page.keyboard.press("Enter")
    expect(page.get_by_text("You hold this task now.")).to_be_visible()

    _tab_to(page, "Inspector's notes")
    page.keyboard.type("rail loose at the stairs")
    _tab_to(page, "Site visits")
    page.keyboard.type("2")
    _tab_to(page, "The site is safe")
    page.keyboard.press("Space")
    _tab_to(page, "Zone")
    page.keyboard.type("commercial")
    _tab_to(page, "Issues found")
    page.keyboard.type("loose rail")
    page.keyboard.press("Enter")
    page.keyboard.type("no exit sign")
    _tab_to(page, "Accept")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Done: “Inspect 9 Keyboard Way” — accept.")).to_be_visible()
    page.goto("/inbox?view=completed")
    expect(page.get_by_role("link", name="Inspect 9 Keyboard Way")).to_be_visible()
