"""A dropped socket resyncs on reconnect: the server restarts mid-test, a task is
started while it is down, and the open inbox shows it without a reload. The browser
session outlives the process (it lives in the database) and the development provider
comes back on the same port, so people can still sign in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser_support import World, live_ready
from tests.servers import civicflow

BEN = "ben@planning.example.gov"
ANA = "ana@planning.example.gov"


@pytest.mark.slow
def test_the_inbox_resyncs_after_a_server_restart(
    world: World, signed_in: Callable[..., Any]
) -> None:
    ben = signed_in(BEN)
    ben.goto("/inbox?view=queues")
    live_ready(ben)
    world.server.stop()
    expect(ben.locator("body")).to_have_attribute("data-live", "disconnected", timeout=10_000)
    civicflow(  # a change no socket could announce: made while no server runs
        world.env,
        "start",
        "inspection",
        "--as",
        ANA,
        "--input",
        json.dumps({"applicant": "Jo Doe", "address": "8 Restart Rd"}),
    )
    world.restart()
    expect(ben.locator("body")).to_have_attribute("data-live", "connected", timeout=15_000)
    expect(ben.get_by_role("link", name="Inspect 8 Restart Rd")).to_be_visible(timeout=5_000)

    ben.reload()  # the same session cookie, a new process: still Ben, no sign-in page
    assert ben.url.startswith(f"{world.server.url}/inbox")
    live_ready(ben)
    ana = signed_in(ANA)  # through the restarted provider, on the port it had before
    ana.goto("/inbox?view=queues")
    expect(ana.get_by_role("link", name="Inspect 8 Restart Rd")).to_be_visible()
