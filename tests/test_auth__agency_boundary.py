"""A person signed in through agency A can neither see nor act on agency B's work,
through any route of the API: each is answered as if the thing did not exist."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import staff
from tests.oidc.agencies import Agency
from tests.oidc.relying_party import Browser, RelyingParty
from web.files import attachment_store
from workflow import SYSTEM

ANA = "ana.ortiz@planning.example.gov"  # agency A: planning
ROSA = "rosa.delgado@fire.example.gov"  # agency B: fire supervisors

ROUTES = [
    ("GET", "/api/v1/tasks/{task}", None),
    ("POST", "/api/v1/tasks/{task}/claim", None),
    ("POST", "/api/v1/tasks/{task}/unclaim", None),
    ("POST", "/api/v1/tasks/{task}/assign", {"assignee": ANA}),
    ("POST", "/api/v1/tasks/{task}/delegate", {"to": ANA}),
    ("POST", "/api/v1/tasks/{task}/act", {"action": "approve"}),
    ("GET", "/api/v1/instances/{instance}", None),
    ("POST", "/api/v1/instances/{instance}/signal", {"event": "anything"}),
    ("POST", "/api/v1/instances/{instance}/cancel", {"reason": "not mine"}),
    ("POST", "/api/v1/instances/{instance}/comments", {"body": "hello"}),
    ("GET", "/api/v1/instances/{instance}/attachments", None),
    ("GET", "/api/v1/instances/{instance}/attachments/{attachment}", None),
]


def fire_task(rp: RelyingParty) -> dict[str, str]:
    """Agency B's open task, and a file a fire supervisor attached to it."""
    with rp.database.transaction() as session:
        engine = rp.services.engine
        view = engine.start(
            session, workflow="sso-sign-off", input={"department": "fire"}, actor=SYSTEM
        )
        task = view.open_tasks()[0]
        attached = engine.attach(
            session,
            instance_id=view.id,
            task_id=task.id,
            filename="inspection.txt",
            content_type="text/plain",
            content=b"fire inspection notes",
            files=attachment_store(rp.services.settings),
            actor=staff(ROSA, "fire/supervisors"),
        )
        return {"task": str(task.id), "instance": str(view.id), "attachment": str(attached.id)}


def signed_in(rp: RelyingParty, provider: str, email: str) -> tuple[Browser, dict[str, str]]:
    browser = Browser(rp)
    browser.sign_in(provider, email)
    return browser, {"X-CSRF-Token": browser.me().json()["csrf_token"]}


def call(browser: Browser, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if method == "GET":
        return browser.get(path)
    return browser.post(path, json=body, headers=headers)


@pytest.mark.parametrize(
    ("method", "route", "body"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES]
)
def test_agency_a_cannot_reach_agency_bs_work(
    relying_party: RelyingParty,
    agency_a: Agency,
    method: str,
    route: str,
    body: Any,
) -> None:
    ids = fire_task(relying_party)
    browser, headers = signed_in(relying_party, "agency-a", ANA)
    response = call(browser, method, route.format(**ids), body, headers)
    assert response.status_code == 404, response.text


def test_agency_a_does_not_find_agency_bs_work_in_any_inbox_or_search(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    ids = fire_task(relying_party)
    browser, _ = signed_in(relying_party, "agency-a", ANA)
    for view in ("mine", "queues", "overdue", "completed"):
        page = browser.get(f"/api/v1/tasks?view={view}")
        assert page.status_code == 200 and ids["task"] not in page.text
    found = browser.get("/api/v1/instances?workflow=sso-sign-off")
    assert ids["instance"] not in found.text


def test_agency_b_sees_and_acts_on_its_own_work(
    relying_party: RelyingParty, agency_b: Agency
) -> None:
    ids = fire_task(relying_party)
    browser, headers = signed_in(relying_party, "agency-b", ROSA)
    assert browser.get(f"/api/v1/tasks/{ids['task']}").status_code == 200
    assert ids["task"] in browser.get("/api/v1/tasks?view=queues").text
    claimed = browser.post(f"/api/v1/tasks/{ids['task']}/claim", headers=headers)
    assert claimed.status_code == 200, claimed.text


def test_agency_b_downloads_the_file_of_its_own_case(
    relying_party: RelyingParty, agency_b: Agency
) -> None:
    ids = fire_task(relying_party)
    browser, _ = signed_in(relying_party, "agency-b", ROSA)
    answer = browser.get(f"/api/v1/instances/{ids['instance']}/attachments/{ids['attachment']}")
    assert answer.status_code == 200, answer.text
    assert answer.content == b"fire inspection notes"
