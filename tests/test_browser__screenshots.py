"""Screenshots a person would look at, saved under test-artifacts/ at desktop and
phone widths: the inbox, a task page with a validation error, and the timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser_support import DESKTOP, PHONE, World, live_ready, screenshot

BEN = "ben@planning.example.gov"


@pytest.mark.slow
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_inbox_task_error_and_timeline_screenshots(
    world: World, signed_in: Callable[..., Any], width: str
) -> None:
    task = world.start(f"12 Screenshot Ln ({width})")
    page = signed_in(BEN, DESKTOP if width == "desktop" else PHONE)
    page.goto("/inbox?view=queues")
    live_ready(page)
    assert page.get_by_role("link", name=f"Inspect 12 Screenshot Ln ({width})").is_visible()
    assert screenshot(page, f"inbox-{width}").stat().st_size > 0

    page.goto(f"/tasks/{task}")
    page.get_by_label("Site visits").fill("none")
    page.get_by_role("button", name="Accept").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    assert summary.is_visible()
    assert page.get_by_text("Enter a whole number, like 3.").first.is_visible()
    assert screenshot(page, f"task-validation-error-{width}").stat().st_size > 0

    page.get_by_role("heading", name="Timeline").scroll_into_view_if_needed()
    page.wait_for_selector(".cf-diagram svg", timeout=10_000)
    assert screenshot(page, f"timeline-{width}").stat().st_size > 0
