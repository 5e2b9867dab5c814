"""Step-up inline: pressing an action on an `assurance: mfa` task without MFA keeps
the submission server-side, sends the person to their provider, and replays it once
when they come back — against the real test provider (agency A), over plain HTTP."""

from __future__ import annotations

import re
import uuid
from html import unescape
from typing import Any

import pytest
import requests

from tests.oidc.agencies import DATA, Agency
from tests.oidc.relying_party import Browser, RelyingParty
from workflow import People, find_task

ANA = "ana.ortiz@planning.example.gov"  # planning/supervisors at agency A
ENTRIES = {"conditions": "Standard conditions 1-14", "fee_waived": "on"}
NOTICE = "This task needs you to confirm your identity with a second factor."


@pytest.fixture
def rp(relying_party: RelyingParty) -> RelyingParty:
    with relying_party.database.transaction() as session:
        relying_party.services.engine.register(
            session, (DATA / "permit-sign-off.yaml").read_text(), path="permit-sign-off.yaml"
        )
    return relying_party


@pytest.fixture
def ana(rp: RelyingParty, agency_a: Agency) -> Browser:
    browser = Browser(rp)
    browser.sign_in("agency-a", ANA)
    return browser


def start_permit(rp: RelyingParty) -> str:
    with rp.database.transaction() as session:
        actor = People(session).actor(ANA)
        view = rp.services.engine.start(
            session, workflow="permit-sign-off", input={"address": "12 Harbour Road"}, actor=actor
        )
        return str(view.open_tasks()[0].id)


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name} on the page"
    return found.group(1)


def press(browser: Browser, task: str, action: str = "sign") -> requests.Response:
    """Fill the task's form and press ``action``, as a browser without JavaScript."""
    page = browser.get(f"/tasks/{task}").text
    form = {"csrf_token": hidden(page, "csrf_token"), "version": hidden(page, "version")}
    return browser.post(f"/tasks/{task}/act", data={**form, **ENTRIES, "action": action})


def through_step_up(browser: Browser, pressed: requests.Response, otp: str) -> str:
    """Follow the step-up at the provider; the local URL it sends the browser back to."""
    assert pressed.status_code == 303, pressed.text
    assert pressed.headers["location"].startswith("/auth/step-up?")
    authorization = browser.get(pressed.headers["location"]).headers["location"]
    back = browser.get(browser.authenticate(authorization, ANA, otp))
    assert back.status_code == 303, back.text
    return str(back.headers["location"])


def task_row(rp: RelyingParty, task: str) -> Any:
    with rp.database.transaction() as session:
        return find_task(session, uuid.UUID(task), viewer=None)


def case(rp: RelyingParty, task: str) -> Any:
    with rp.database.transaction() as session:
        instance = find_task(session, uuid.UUID(task), viewer=None).instance_id
        return rp.services.engine.instance(session, instance)


def history(rp: RelyingParty, task: str) -> list[Any]:
    return list(case(rp, task).history)


def test_the_task_page_keeps_the_buttons_and_says_a_second_factor_is_asked(
    rp: RelyingParty, ana: Browser
) -> None:
    page = unescape(ana.get(f"/tasks/{start_permit(rp)}").text)
    assert NOTICE in page
    assert re.search(r'<button[^>]*value="sign"[^>]*aria-describedby="step-up-notice"', page)
    assert "You cannot act on this task now" not in page


def test_an_action_steps_up_and_is_replayed_once_with_the_entries(
    rp: RelyingParty, ana: Browser, agency_a: Agency
) -> None:
    task = start_permit(rp)
    resume = through_step_up(ana, press(ana, task), agency_a.account(ANA)["otp"])
    assert resume.startswith(f"/tasks/{task}/resume/")
    assert task_row(rp, task).status == "open"  # nothing happens before the resume
    done = ana.get(resume)
    assert (done.status_code, done.headers["location"]) == (303, f"/tasks/{task}")
    page = unescape(ana.get(f"/tasks/{task}").text)
    assert f"Completed: sign by {ANA}" in page
    assert "signed in via agency-a, with MFA" in page
    record = history(rp, task)[-1]
    assert record.details["mfa"] is True
    assert record.details["assurance"]["acr"] == "urn:civicflow:aal2"
    assert case(rp, task).data["sign_off"] == {
        "conditions": "Standard conditions 1-14",
        "fee_waived": True,
    }


def test_a_resume_link_works_only_once(rp: RelyingParty, ana: Browser, agency_a: Agency) -> None:
    task = start_permit(rp)
    resume = through_step_up(ana, press(ana, task), agency_a.account(ANA)["otp"])
    assert ana.get(resume).status_code == 303
    again = ana.get(resume)
    assert again.status_code == 410
    assert "There is no action waiting to be finished here" in unescape(again.text)
    assert [r.action for r in history(rp, task)].count("task.completed") == 1


def test_another_session_cannot_use_the_resume_link(
    rp: RelyingParty, ana: Browser, agency_a: Agency
) -> None:
    task = start_permit(rp)
    resume = through_step_up(ana, press(ana, task), agency_a.account(ANA)["otp"])
    other = Browser(rp)  # the same person, in another browser, with MFA
    other.sign_in("agency-a", ANA, agency_a.account(ANA)["otp"])
    refused = other.get(resume)
    assert refused.status_code == 410
    assert task_row(rp, task).status == "open"
    assert ana.get(resume).status_code == 303  # left alone for the session that kept it
    assert task_row(rp, task).status == "completed"


def test_a_failed_step_up_returns_to_the_task_with_the_entries_filled_in(
    rp: RelyingParty, ana: Browser
) -> None:
    task = start_permit(rp)
    resume = through_step_up(ana, press(ana, task), otp="")  # no one-time code: no MFA
    page = ana.get(resume)
    text = unescape(page.text)
    assert page.status_code == 403
    assert "Your identity was not confirmed with a second factor, so nothing was saved" in text
    assert 'value="Standard conditions 1-14"' in text
    assert re.search(r'name="fee_waived"[^>]* checked', text)
    assert task_row(rp, task).status == "open"


def test_a_task_changed_during_the_step_up_shows_it_fresh_with_the_entries(
    rp: RelyingParty, ana: Browser, agency_a: Agency
) -> None:
    task = start_permit(rp)
    pressed = press(ana, task)
    with rp.database.transaction() as session:  # meanwhile the task moves on a version
        rp.services.engine.claim(session, task_id=uuid.UUID(task), actor=People(session).actor(ANA))
    resume = through_step_up(ana, pressed, agency_a.account(ANA)["otp"])
    page = ana.get(resume)
    text = unescape(page.text)
    assert page.status_code == 409
    assert "Someone else changed this task before you did, so nothing was saved." in text
    assert f"Held by</dt><dd>{ANA}" in text
    assert 'value="Standard conditions 1-14"' in text
    assert task_row(rp, task).status == "open"


def test_a_step_up_never_returns_outside_the_site(rp: RelyingParty, ana: Browser) -> None:
    authorization = ana.get("/auth/step-up?next=//evil.example/x&on_failure=return").headers[
        "location"
    ]
    back = ana.get(ana.authenticate(authorization, ANA, otp=""))
    assert (back.status_code, back.headers["location"]) == (303, "/auth/me")
