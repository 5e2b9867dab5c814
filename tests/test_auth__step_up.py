"""Step-up: an `assurance: mfa` task needs a fresh MFA authentication at the person's
own provider, proven by the returned ID token, and the proof lands in the audit."""

from __future__ import annotations

import pytest
from flask import request

from tests.oidc.agencies import ACR_BASE, ACR_MFA, Agency
from tests.oidc.relying_party import Browser, RelyingParty
from web.auth.sessions import session_authenticator
from workflow import Actor, ForbiddenError

ANA = "ana.ortiz@planning.example.gov"


def actor_of(rp: RelyingParty, browser: Browser) -> Actor:
    """The engine's actor for the browser's session, as any route would build it."""
    with rp.app.test_request_context(
        "/", headers={"Cookie": f"civicflow_session={browser.session_token}"}
    ):
        principal = session_authenticator(request, rp.services)
    assert principal is not None
    with rp.database.transaction() as session:
        return principal.actor(session)


def start_sign_off(rp: RelyingParty, actor: Actor) -> str:
    with rp.database.transaction() as session:
        view = rp.services.engine.start(
            session, workflow="sso-sign-off", input={"department": "planning"}, actor=actor
        )
        return str(view.open_tasks()[0].id)


def act(rp: RelyingParty, task: str, actor: Actor) -> dict[str, object]:
    import uuid

    with rp.database.transaction() as session:
        view = rp.services.engine.act(
            session, task_id=uuid.UUID(task), action="approve", actor=actor
        )
        return rp.services.engine.instance(session, view.id).history[-1].details


def step_up(browser: Browser, agency: Agency, otp: str) -> object:
    authorization = browser.start("agency-a", path="/auth/step-up?next=/auth/me")
    assert "acr_values=urn%3Acivicflow%3Aaal2" in authorization and "max_age=0" in authorization
    return browser.get(browser.authenticate(authorization, ANA, otp))


def test_a_session_without_mfa_cannot_act_on_an_mfa_task(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", ANA)
    actor = actor_of(relying_party, browser)
    task = start_sign_off(relying_party, actor)
    with pytest.raises(ForbiddenError, match="multi-factor"):
        act(relying_party, task, actor)


def test_step_up_with_the_one_time_code_lets_the_person_act_and_is_audited(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", ANA)
    task = start_sign_off(relying_party, actor_of(relying_party, browser))
    response = step_up(browser, agency_a, agency_a.account(ANA)["otp"])
    assert response.status_code == 303  # type: ignore[attr-defined]
    me = browser.me().json()
    assert (me["mfa"], me["acr"], me["amr"]) == (True, ACR_MFA, ["mfa", "otp"])
    details = act(relying_party, task, actor_of(relying_party, browser))
    assert details["assurance"] == {
        "provider": "agency-a",
        "acr": ACR_MFA,
        "amr": ["mfa", "otp"],
        "auth_time": me["auth_time"],
    }


def test_step_up_without_the_code_is_refused_and_the_session_keeps_no_mfa(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    browser.sign_in("agency-a", ANA)
    response = step_up(browser, agency_a, "")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "did not confirm multi-factor authentication" in response.text  # type: ignore[attr-defined]
    me = browser.me().json()
    assert (me["mfa"], me["acr"]) == (False, ACR_BASE)
