"""An API token never satisfies `assurance: mfa`, even for a person whose browser
session has just proved MFA; the session itself may act."""

from __future__ import annotations

import requests

from tests.oidc.agencies import Agency
from tests.oidc.relying_party import Browser, RelyingParty
from workflow import SYSTEM, ApiTokens

ANA = "ana.ortiz@planning.example.gov"


def test_a_token_for_a_person_with_an_mfa_session_still_cannot_act_on_an_mfa_task(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", ANA, otp=agency_a.account(ANA)["otp"])
    assert browser.me().json()["mfa"] is True
    with relying_party.database.transaction() as session:
        view = relying_party.services.engine.start(
            session, workflow="sso-sign-off", input={"department": "planning"}, actor=SYSTEM
        )
        task = str(view.open_tasks()[0].id)
        secret, _ = ApiTokens(session).create(
            "ana-script",
            scopes=("tasks:act",),
            user=ANA,
            created_by="tests",
            now=relying_party.clock.now(),
        )
    by_token = requests.post(  # no cookies: the token alone
        f"{relying_party.url}/api/v1/tasks/{task}/act",
        json={"action": "approve"},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    assert by_token.status_code == 403 and "multi-factor" in by_token.text
    csrf = browser.me().json()["csrf_token"]
    by_session = browser.post(
        f"/api/v1/tasks/{task}/act", json={"action": "approve"}, headers={"X-CSRF-Token": csrf}
    )
    assert by_session.status_code == 200, by_session.text


def test_a_session_request_that_changes_something_needs_the_csrf_token(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", ANA)
    with relying_party.database.transaction() as session:
        view = relying_party.services.engine.start(
            session, workflow="sso-sign-off", input={"department": "planning"}, actor=SYSTEM
        )
        task = str(view.open_tasks()[0].id)
    response = browser.post(f"/api/v1/tasks/{task}/claim")
    assert response.status_code == 403 and "CSRF" in response.text
    assert browser.get(f"/api/v1/tasks/{task}").json()["assignee"] is None
