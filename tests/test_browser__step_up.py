"""A person fills the form of an `assurance: mfa` task, presses the action, confirms
their identity with a second factor at the development provider, and lands back on
the task: completed with their entries, the timeline saying it was done with MFA."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser_support import World, axe_violations
from workflow import find_instance, find_task

LEE = "lee@legal.example.gov"  # legal/counsel in tests/data/ui/directory.yaml
NOTICE = "This task needs you to confirm your identity with a second factor."


def start_permit(world: World, address: str) -> str:
    started = world.api(
        "/instances", {"workflow": "permit-sign-off", "input": {"address": address}}
    )
    return str(started["tasks"][0]["id"])


@pytest.mark.slow
def test_an_mfa_task_is_completed_through_a_step_up(
    world: World, signed_in: Callable[..., Any]
) -> None:
    lee = signed_in(LEE)
    task = start_permit(world, "12 Harbour Road")
    lee.goto(f"/tasks/{task}")
    notice = lee.get_by_text(NOTICE)
    notice.wait_for()
    assert axe_violations(lee) == []
    lee.get_by_label("Conditions").fill("Standard conditions 1-14")
    lee.get_by_text("Fee waived").click()  # the USWDS box is drawn on its label
    assert lee.get_by_label("Fee waived").is_checked()
    lee.get_by_role("button", name="Sign", exact=True).click()

    lee.wait_for_url(f"http://127.0.0.1:{world.idp_port}/authorize?**")
    lee.get_by_label("One-time code for Lee Chen (optional)").fill("123456")
    lee.get_by_role("button", name="Sign in as Lee Chen").click()

    lee.wait_for_url(f"{world.server.url}/tasks/{task}")
    lee.get_by_text("Done: sign, confirmed with your second factor.").wait_for()
    assert lee.get_by_text(f"Completed: sign by {LEE}").is_visible()
    completed = lee.get_by_role("listitem").filter(has_text="task.completed")
    assert f"{LEE}: task.completed" in completed.inner_text()
    assert "with MFA" in completed.inner_text()
    with world.db.transaction() as session:
        instance = find_task(session, uuid.UUID(task), viewer=None).instance_id
        data = find_instance(session, instance, viewer=None, history=False).data
    assert data["sign_off"] == {"conditions": "Standard conditions 1-14", "fee_waived": True}
