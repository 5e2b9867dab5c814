"""The relying party refetches a provider's keys when an ID token names a key id it
does not have (key rotation), and verifies with whatever the provider publishes."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from tests.oidc.agencies import SECRETS, Agency, idp_config
from tests.oidc.relying_party import Browser, query
from web.auth.config import load_providers
from web.auth.oidc import ProviderClient, SignInError


class _Here:
    def __init__(self, url: str) -> None:
        self.url = url


def fresh_id_token(client: ProviderClient, agency: Agency, rp_url: str) -> tuple[str, str]:
    """A real ID token from the provider (and its nonce), by the code flow."""
    nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    redirect = f"{rp_url}/auth/callback/{agency.name}"
    authorization = client.authorization_url(
        redirect_uri=redirect, state="s", nonce=nonce, code_verifier=verifier
    )
    browser = Browser(_Here(rp_url))  # type: ignore[arg-type]
    callback = browser.authenticate(authorization, "ben.okafor@planning.example.gov")
    raw = client.exchange(
        code=query(callback)["code"], redirect_uri=redirect, code_verifier=verifier
    )
    return raw, nonce


@pytest.fixture
def client(
    agencies: dict[str, Agency], rp_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ProviderClient:
    monkeypatch.setenv("CIVICFLOW_TEST_AGENCY_A_SECRET", SECRETS["agency-a"])
    config = load_providers(idp_config(agencies, tmp_path))["agency-a"]
    return ProviderClient(config, jwks_min_interval=0)


def test_an_unknown_key_id_makes_the_keys_be_fetched_again(
    client: ProviderClient, agency_a: Agency, rp_url: str
) -> None:
    raw, nonce = fresh_id_token(client, agency_a, rp_url)
    agency_a.control("publish-decoy-key")  # our cache now holds only the decoy
    with pytest.raises(SignInError, match="signature does not verify"):
        client.validate_id_token(raw, nonce=nonce, now=time.time())
    agency_a.control("reset")  # the provider publishes its signing key again
    token = client.validate_id_token(raw, nonce=nonce, now=time.time())
    assert token.claims["email"] == "ben.okafor@planning.example.gov"
