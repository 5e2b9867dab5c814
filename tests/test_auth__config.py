"""The identity-provider file is checked at start-up, every mistake at file:line:col."""

from __future__ import annotations

import pytest

from tests.conftest import DATA
from web.auth.config import MfaSettings, load_providers
from workflow import DefinitionError

ENV = {"CIVICFLOW_TEST_A_SECRET": "s3cret", "CIVICFLOW_TEST_B_SECRET": "s3cret"}


def test_a_valid_file_gives_each_provider_its_settings() -> None:
    providers = load_providers(DATA / "idp" / "valid.yaml", env=ENV)
    agency = providers["agency-a"]
    assert (agency.client_secret, agency.scopes) == (
        "s3cret",
        ("openid", "email", "profile", "groups"),
    )
    assert (agency.claims.email, agency.claims.groups, agency.claims.name) == (
        "mail",
        "roles",
        "name",
    )
    assert agency.mfa == MfaSettings(
        acr_values=("urn:x:aal2", "urn:x:aal3"), accept_amr=("mfa",), max_age=120
    )
    assert agency.email_allowed("x@agency-a.example.gov") and not agency.email_allowed(
        "x@gmail.com"
    )
    assert agency.queues(["inspectors", "legal/counsel", "nope"]) == {
        "fire/inspectors",
        "legal/counsel",
    }


def test_every_mistake_is_reported_at_its_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_providers(DATA / "idp" / "broken.yaml", env=ENV)
    found = {(p.line, p.message.split(":")[0].split(" (")[0]) for p in caught.value.problems}
    path = str(DATA / "idp" / "broken.yaml")
    assert all(p.file == path for p in caught.value.problems)
    assert found >= {
        (2, "'Agency_A' must be a lowercase slug"),
        (4, "must be an https URL"),
        (6, "the environment variable CIVICFLOW_TEST_UNSET_SECRET is not set"),
        (7, "the queue, as department/group"),
        (8, "'not a domain' is not a domain"),
        (9, "'max_age' is seconds, 0 to 86400"),
        (10, "give exactly one of 'client_secret_env' or 'private_key_jwt'"),
        (16, "unknown key 'claim'"),
    }


def test_a_file_without_providers_is_refused() -> None:
    with pytest.raises(DefinitionError, match="needs 'providers:'"):
        load_providers(DATA / "directory" / "small.yaml", env=ENV)
