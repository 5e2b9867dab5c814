"""Every tampered or untrustworthy sign-in response is refused with a clear page and
leaves no session."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import requests
from sqlalchemy import func, select

from tests.oidc.agencies import Agency
from tests.oidc.relying_party import Browser, RelyingParty, query
from workflow.store.models import SignInSessionRow, UserRow

ANA = "ana.ortiz@planning.example.gov"


def refused(browser: Browser, response: requests.Response, words: str) -> None:
    assert response.status_code in (400, 403), response.text
    assert "Sign-in refused" in response.text and words in response.text
    assert browser.session_token is None
    assert browser.me().status_code == 401


def sessions(rp: RelyingParty) -> int:
    with rp.database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(SignInSessionRow)) or 0)


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query=urlencode(query(url) | changes)).geturl()


def test_a_response_issued_by_the_other_agency_is_a_mix_up(
    relying_party: RelyingParty, agency_a: Agency, agency_b: Agency
) -> None:
    browser = Browser(relying_party)
    callback = browser.authenticate(browser.start("agency-a"), ANA)
    response = browser.get(with_query(callback, iss=agency_b.issuer))
    refused(browser, response, "mix-up")
    assert sessions(relying_party) == 0


def test_a_response_delivered_to_the_other_agencys_callback_is_refused(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    callback = browser.authenticate(browser.start("agency-a"), ANA)
    response = browser.get(callback.replace("/callback/agency-a", "/callback/agency-b"))
    refused(browser, response, "mix-up")


def test_a_forged_state_is_refused(relying_party: RelyingParty, agency_a: Agency) -> None:
    browser = Browser(relying_party)
    callback = browser.authenticate(browser.start("agency-a"), ANA)
    response = browser.get(with_query(callback, state="forged-by-an-attacker"))
    refused(browser, response, "unknown or expired state")


def test_a_replayed_code_is_refused(relying_party: RelyingParty, agency_a: Agency) -> None:
    victim = Browser(relying_party)
    callback = victim.authenticate(victim.start("agency-a"), ANA)
    assert victim.get(callback).status_code == 303
    attacker = Browser(relying_party)
    own = attacker.authenticate(attacker.start("agency-a"), "ben.okafor@planning.example.gov")
    stolen = with_query(own, code=query(callback)["code"])  # the victim's code, our state
    refused(attacker, attacker.get(stolen), "refused to complete the sign-in")


def test_an_id_token_with_another_nonce_is_refused(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    authorization = with_query(browser.start("agency-a"), nonce="injected-nonce")
    response = browser.get(browser.authenticate(authorization, ANA))
    refused(browser, response, "nonce is not this sign-in")


def test_an_expired_id_token_is_refused(relying_party: RelyingParty, agency_a: Agency) -> None:
    browser = Browser(relying_party)
    callback = browser.authenticate(browser.start("agency-a"), ANA)
    relying_party.clock.offset = timedelta(hours=2)
    refused(browser, browser.get(callback), "expired")


def test_an_id_token_signed_with_an_unpublished_key_is_refused(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    callback = browser.authenticate(browser.start("agency-a"), ANA)
    agency_a.control("publish-wrong-keys")
    refused(browser, browser.get(callback), "signature does not verify")


def test_an_email_outside_the_agencys_domains_is_refused(
    relying_party: RelyingParty, agency_a: Agency
) -> None:
    browser = Browser(relying_party)
    response = browser.sign_in("agency-a", "eve.outsider@gmail.example.com")
    refused(browser, response, "its domain is not one this provider is trusted for")
    with relying_party.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(UserRow)) == 0


def test_an_unverified_email_is_refused(relying_party: RelyingParty, agency_a: Agency) -> None:
    browser = Browser(relying_party)
    response = browser.sign_in("agency-a", "una.verified@planning.example.gov")
    refused(browser, response, "has not verified the e-mail address")


def test_an_error_from_the_provider_is_shown(relying_party: RelyingParty, agency_a: Agency) -> None:
    browser = Browser(relying_party)
    authorization = browser.start("agency-a")
    state = query(authorization)["state"]
    response = browser.get(
        f"/auth/callback/agency-a?error=access_denied&state={state}&iss={agency_a.issuer}"
    )
    refused(browser, response, "did not sign you in (access_denied)")
