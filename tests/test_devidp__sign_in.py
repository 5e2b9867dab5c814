"""The built-in development provider: the directory's people sign in with one
click, through the same relying-party code as a production provider."""

from __future__ import annotations

from urllib.parse import urljoin

from tests.oidc.relying_party import Browser, RelyingParty
from web.auth.devidp import MFA_ACR, ONE_TIME_CODE

ANA = "ana.ortiz@planning.example.gov"
BEN = "ben.okafor@planning.example.gov"


def dev_sign_in(browser: Browser, email: str, otp: str = "") -> int:
    authorization = browser.start("dev")
    page = browser.http.get(authorization, timeout=10)
    assert "Sign in as Ana Ortiz" in page.text and "For development only" in page.text
    response = browser.http.post(
        authorization, data={"email": email, "otp": otp}, allow_redirects=False, timeout=10
    )
    callback = urljoin(authorization, response.headers["location"])
    return browser.get(callback).status_code


def test_a_directory_person_signs_in_with_one_click(
    relying_party_with_dev_provider: RelyingParty,
) -> None:
    browser = Browser(relying_party_with_dev_provider)
    assert dev_sign_in(browser, ANA) == 303
    me = browser.me().json()
    assert (me["email"], me["provider"], me["queues"], me["mfa"]) == (
        ANA,
        "dev",
        ["planning/intake", "planning/supervisors"],
        False,
    )


def test_the_one_time_code_yields_the_mfa_acr(
    relying_party_with_dev_provider: RelyingParty,
) -> None:
    browser = Browser(relying_party_with_dev_provider)
    assert dev_sign_in(browser, ANA, ONE_TIME_CODE) == 303
    me = browser.me().json()
    assert (me["mfa"], me["acr"], me["amr"]) == (True, MFA_ACR, ["mfa", "otp"])


def test_the_sign_in_page_lists_the_development_provider(
    relying_party_with_dev_provider: RelyingParty,
) -> None:
    page = Browser(relying_party_with_dev_provider).get("/auth/login").text
    assert "Sign in with Development sign-in (not for production)" in page


def test_a_step_up_lists_the_person_first_and_asks_for_the_code(
    relying_party_with_dev_provider: RelyingParty,
) -> None:
    browser = Browser(relying_party_with_dev_provider)
    assert dev_sign_in(browser, BEN) == 303
    authorization = browser.start("dev", path="/auth/step-up?next=/auth/me")
    page = browser.http.get(authorization, timeout=10).text
    assert "asks you to confirm your identity with a second factor" in page
    assert page.index("Sign in as Ben Okafor") < page.index("Sign in as Ana Ortiz")
    response = browser.http.post(
        authorization, data={"email": BEN, "otp": ONE_TIME_CODE}, allow_redirects=False
    )
    assert browser.get(urljoin(authorization, response.headers["location"])).status_code == 303
    assert browser.me().json()["mfa"] is True
