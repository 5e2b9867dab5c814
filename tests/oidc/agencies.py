"""Two real, independent OpenID providers on loopback, one per agency.

Each is the OpenID Certified ``oidc-provider`` npm package (installed by
``scripts/setup`` from package-lock.json) run by ``tests/oidc/provider.mjs`` in its own
``node`` process with its own cookie names, clients and people (tests/data/oidc/).
The relying party's port is reserved for the whole session because the providers
register exact redirect URIs. Off CI a machine without node or the npm packages skips
these tests with a message saying how to install them; with ``CI=true`` it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data" / "oidc"
PROVIDER = Path(__file__).with_name("provider.mjs")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ACR_BASE = "urn:civicflow:aal1"
ACR_MFA = "urn:civicflow:aal2"
SECRETS = {"agency-a": "agency-a-client-secret-0123456789", "agency-b": "agency-b-secret-9876"}


@dataclass
class Agency:
    """One running provider: where it is, its client's secret and its people."""

    name: str
    issuer: str
    client_secret: str
    accounts: list[dict[str, Any]]
    process: subprocess.Popen[bytes] = field(repr=False)
    key_file: Path | None = None  # Civicflow's private key, when it uses private_key_jwt

    def account(self, email: str) -> dict[str, Any]:
        return next(a for a in self.accounts if a["email"] == email)

    def control(self, command: str) -> None:
        """Test-only switches of provider.mjs (e.g. ``publish-wrong-keys``, ``reset``)."""
        requests.post(f"{self.issuer}/__control/{command}", timeout=5).raise_for_status()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unavailable() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (Node 20 is needed for the test OpenID provider)"
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        return "the npm packages are not installed: run scripts/setup (npm ci)"
    return None


def _client_key(name: str, tmp: Path) -> tuple[Path, dict[str, Any]]:
    """A key pair for ``private_key_jwt``: the private half for Civicflow (a PEM file),
    the public half registered with the provider."""
    key = RSAKey.generate_key(2048, parameters={"kid": f"civicflow-{name}"})
    path = tmp / f"{name}-client-key.pem"
    path.write_bytes(key.as_pem(private=True))
    return path, key.as_dict(private=False) | {"use": "sig", "alg": "RS256"}


def _start(name: str, rp_url: str, tmp: Path) -> Agency:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    accounts = yaml.safe_load((DATA / f"{name}.yaml").read_text())["accounts"]
    config = {
        "port": port,
        "issuer": issuer,
        "cookiePrefix": name.replace("-", "_"),
        "acr": {"base": ACR_BASE, "mfa": ACR_MFA},
        "accounts": accounts,
        "clients": [
            {
                "client_id": "civicflow",
                "client_secret": SECRETS[name],
                "redirect_uris": [
                    f"{rp_url}/auth/callback/{name}",
                    # the same Civicflow behind a TLS-terminating proxy
                    f"{rp_url.replace('http://', 'https://')}/auth/callback/{name}",
                ],
                "post_logout_redirect_uris": [f"{rp_url}/auth/login"],
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
                "token_endpoint_auth_method": "client_secret_basic",
                "backchannel_logout_uri": f"{rp_url}/auth/backchannel-logout/{name}",
                "backchannel_logout_session_required": True,
            }
        ],
    }
    key_file = None
    if name == "agency-b":  # one agency authenticates Civicflow by signed assertions
        key_file, public = _client_key(name, tmp)
        client = config["clients"][0]
        del client["client_secret"]
        client["token_endpoint_auth_method"] = "private_key_jwt"
        client["token_endpoint_auth_signing_alg"] = "RS256"
        client["jwks"] = {"keys": [public]}
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(config))
    process = subprocess.Popen(
        ["node", str(PROVIDER), str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("READY"):
        process.kill()
        raise RuntimeError(f"the test provider {name} did not start (printed {line!r})")
    deadline = time.monotonic() + 10
    while True:
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return Agency(name, issuer, SECRETS[name], accounts, process, key_file)


@pytest.fixture(scope="session")
def rp_url() -> str:
    """The relying party's base URL, fixed for the session (registered redirect URIs)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def agencies(rp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Agency]]:
    reason = _unavailable()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason}; CI=true requires it", pytrace=False)
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("oidc")
    started: dict[str, Agency] = {}
    try:
        for name in ("agency-a", "agency-b"):
            started[name] = _start(name, rp_url, tmp)
        yield started
    finally:
        for agency in started.values():
            agency.process.terminate()
            try:
                agency.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                agency.process.kill()
                agency.process.wait()
            if agency.process.stdout is not None:
                agency.process.stdout.close()


@pytest.fixture
def agency_a(agencies: dict[str, Agency]) -> Iterator[Agency]:
    yield agencies["agency-a"]
    agencies["agency-a"].control("reset")


@pytest.fixture
def agency_b(agencies: dict[str, Agency]) -> Iterator[Agency]:
    yield agencies["agency-b"]
    agencies["agency-b"].control("reset")


def idp_config(agencies: dict[str, Agency], tmp: Path) -> Path:
    """tests/data/oidc/idp.yaml with the providers' URLs filled in."""
    text = (DATA / "idp.yaml").read_text()
    for name, agency in agencies.items():
        variable = name.upper().replace("-", "_")
        text = text.replace("${" + variable + "}", agency.issuer)
        text = text.replace("${" + variable + "_KEY}", str(agency.key_file))
    path = tmp / "idp.yaml"
    path.write_text(text)
    return path
