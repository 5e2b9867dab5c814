"""A person signed in through agency A can neither see nor act on agency B's work
through any page of the staff UI: every task route answers exactly as it does for a
task that does not exist, forms posted with a valid CSRF token change nothing, and
B's task is in none of A's inbox tabs nor taken by a bulk action."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from tests.oidc.agencies import Agency
from tests.oidc.relying_party import Browser, RelyingParty, form_of
from tests.test_auth__agency_boundary import ANA, ROSA, fire_task
from workflow.store.models import AttachmentRow, AuditRow, CommentRow, TaskRow

ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/tasks/{task}", {}),
    ("POST", "/tasks/{task}/act", {"data": {"action": "approve", "version": "1"}}),
    ("POST", "/tasks/{task}/claim", {"data": {"version": "1"}}),
    ("POST", "/tasks/{task}/unclaim", {"data": {"version": "1"}}),
    ("POST", "/tasks/{task}/comments", {"data": {"body": "hello from planning"}}),
    ("POST", "/tasks/{task}/attachments", {"files": {"file": ("notes.txt", b"site notes")}}),
    ("GET", "/tasks/{task}/attachments/{attachment}", {}),
]
BULK = [
    {"operation": "claim"},
    {"operation": "assign", "assignee": ANA},
    {"operation": "act", "action": "approve"},
]
TABS = ("mine", "queues", "overdue", "completed")


def signed_in(rp: RelyingParty, provider: str, email: str) -> tuple[Browser, str]:
    """A browser signed in, and the CSRF token its pages put in their forms."""
    browser = Browser(rp)
    browser.sign_in(provider, email)
    inbox = browser.get("/inbox")
    assert inbox.status_code == 200, inbox.text
    return browser, form_of(inbox.text).fields["csrf_token"]


def send(browser: Browser, method: str, path: str, form: dict[str, Any], csrf: str) -> Any:
    if method == "GET":
        return browser.get(path)
    data = {**form.get("data", {}), "csrf_token": csrf}
    return browser.post(path, data=data, files=form.get("files"))


def snapshot(rp: RelyingParty, task: str) -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    with rp.database.transaction() as session:
        row = session.get(TaskRow, uuid.UUID(task))
        assert row is not None
        counts = tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (CommentRow, AttachmentRow, AuditRow)
        )
        return (row.status, row.assignee, row.delegate, row.version, *counts)


def page_text(response: requests.Response, *ids: str) -> str:
    text = response.text
    for ident in ids:
        text = text.replace(ident, "ID").replace(ident[:8], "ID")
    return text


@pytest.mark.parametrize(
    ("method", "route", "form"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES]
)
def test_agency_a_is_told_agency_bs_task_does_not_exist(
    relying_party: RelyingParty,
    agency_a: Agency,
    method: str,
    route: str,
    form: dict[str, Any],
) -> None:
    ids = fire_task(relying_party)
    task = ids["task"]
    nowhere = str(uuid.uuid4())
    browser, csrf = signed_in(relying_party, "agency-a", ANA)
    before = snapshot(relying_party, task)
    theirs = send(browser, method, route.format(**ids), form, csrf)
    missing = send(browser, method, route.format(task=nowhere, attachment=uuid.uuid4()), form, csrf)
    assert theirs.status_code == missing.status_code == 404, theirs.text
    assert page_text(theirs, task) == page_text(missing, nowhere)
    assert snapshot(relying_party, task) == before
    assert snapshot(relying_party, task)[:3] == ("open", None, None)


def test_agency_bs_task_is_in_none_of_agency_as_inbox_pages(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    task = fire_task(relying_party)["task"]
    browser, _ = signed_in(relying_party, "agency-a", ANA)
    home = browser.get("/")
    assert home.status_code == 302
    pages = [browser.get(home.headers["location"])]
    for view in TABS:
        pages.append(browser.get(f"/inbox?view={view}"))
        pages.append(browser.get(f"/inbox?view={view}&fragment=1"))
        pages.append(browser.get(f"/inbox?view={view}&queue=fire/supervisors"))
    for page in pages:
        assert page.status_code == 200, page.url
        assert task not in page.text and "Fire sign-off" not in page.text, page.url


@pytest.mark.parametrize("operation", BULK, ids=[o["operation"] for o in BULK])
def test_a_bulk_action_refuses_agency_bs_task_as_if_it_did_not_exist(
    relying_party: RelyingParty, agency_a: Agency, operation: dict[str, str]
) -> None:
    task = fire_task(relying_party)["task"]
    nowhere = str(uuid.uuid4())
    browser, csrf = signed_in(relying_party, "agency-a", ANA)
    before = snapshot(relying_party, task)
    answers = []
    for ident in (task, nowhere):
        data = {**operation, "task": ident, "back": "/inbox?view=queues", "csrf_token": csrf}
        posted = browser.post("/inbox/bulk", data=data)
        assert posted.status_code == 302, posted.text
        answers.append(page_text(browser.get(posted.headers["location"]), ident))
    assert answers[0] == answers[1]
    assert "0 tasks done." in answers[0]
    assert snapshot(relying_party, task) == before


def test_agency_b_claims_and_comments_on_its_own_task_through_the_pages(
    relying_party: RelyingParty, agency_b: Agency
) -> None:
    """The same requests succeed inside the boundary (so the refusals above are the
    boundary's, not a malformed form's or a missing CSRF token's)."""
    task = fire_task(relying_party)["task"]
    browser, csrf = signed_in(relying_party, "agency-b", ROSA)
    assert browser.get(f"/tasks/{task}").status_code == 200
    claimed = send(browser, "POST", f"/tasks/{task}/claim", ROUTES[2][2], csrf)
    commented = send(browser, "POST", f"/tasks/{task}/comments", ROUTES[4][2], csrf)
    assert (claimed.status_code, commented.status_code) == (302, 302), commented.text
    status, assignee, _, _, comments, _, _ = snapshot(relying_party, task)
    assert (status, assignee, comments) == ("open", ROSA, 1)


def test_agency_b_downloads_the_file_on_its_own_task(
    relying_party: RelyingParty, agency_b: Agency
) -> None:
    """The download route answers inside the boundary, so its 404 above is the
    boundary's and not a broken link's."""
    ids = fire_task(relying_party)
    browser, _ = signed_in(relying_party, "agency-b", ROSA)
    page = browser.get(f"/tasks/{ids['task']}")
    link = f"/tasks/{ids['task']}/attachments/{ids['attachment']}"
    assert f'href="{link}"' in page.text
    answer = browser.get(link)
    assert answer.status_code == 200
    assert answer.content == b"fire inspection notes"
