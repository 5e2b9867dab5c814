"""Signing in with a real browser: headless Debian Chromium driven by Playwright,
through the test agency's own login form, as a person would (labels and roles)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.oidc.agencies import ACR_MFA, Agency
from tests.oidc.relying_party import RelyingParty

CHROMIUM = Path(os.environ.get("CIVICFLOW_TEST_CHROMIUM", "/usr/bin/chromium"))
ANA = "ana.ortiz@planning.example.gov"


@pytest.fixture(scope="session")
def chromium(browser: Any) -> Any:
    """The session's one Chromium (tests/browser_support.py): two sync Playwright
    instances cannot run in one process."""
    return browser


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()
    yield context.new_page()
    context.close()


def sign_in(page: Any, rp: RelyingParty, label: str, email: str, otp: str = "") -> None:
    page.goto(f"{rp.url}/auth/login")
    page.get_by_role("link", name=f"Sign in with {label}").click()
    page.get_by_label("E-mail").fill(email)
    if otp:
        page.get_by_label("One-time code (optional)").fill(otp)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{rp.url}/auth/me")


def me(page: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(page.locator("body").inner_text())
    return found


def test_a_person_signs_in_through_their_agency_in_chromium(
    page: Any, relying_party: RelyingParty, agency_a: Agency
) -> None:
    sign_in(page, relying_party, "Agency A (Planning)", ANA)
    assert me(page)["queues"] == ["planning/intake", "planning/supervisors"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "civicflow_session")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Lax")


def test_step_up_in_chromium_asks_for_the_one_time_code(
    page: Any, relying_party: RelyingParty, agency_a: Agency
) -> None:
    sign_in(page, relying_party, "Agency A (Planning)", ANA)
    page.goto(f"{relying_party.url}/auth/step-up?next=/auth/me")
    page.get_by_label("E-mail").fill(ANA)
    page.get_by_label("One-time code (optional)").fill(agency_a.account(ANA)["otp"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{relying_party.url}/auth/me")
    assert (me(page)["mfa"], me(page)["acr"]) == (True, ACR_MFA)
