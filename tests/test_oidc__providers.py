"""The test agencies' providers are independent and as strict as the tests assume."""

from __future__ import annotations

import requests

from tests.oidc.agencies import Agency


def test_each_agency_is_its_own_issuer_and_returns_iss_in_authorization_responses(
    agencies: dict[str, Agency],
) -> None:
    documents = [
        requests.get(f"{a.issuer}/.well-known/openid-configuration", timeout=5).json()
        for a in agencies.values()
    ]
    assert [d["issuer"] for d in documents] == [a.issuer for a in agencies.values()]
    assert len({d["issuer"] for d in documents}) == 2
    assert all(d["authorization_response_iss_parameter_supported"] for d in documents)


def test_an_authorization_request_without_pkce_is_refused(agency_a: Agency, rp_url: str) -> None:
    response = requests.get(
        f"{agency_a.issuer}/auth",
        params={
            "client_id": "civicflow",
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": f"{rp_url}/auth/callback/agency-a",
            "state": "s",
            "nonce": "n",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 303
    assert "error=invalid_request" in response.headers["location"]
    assert "requires+PKCE" in response.headers["location"]
