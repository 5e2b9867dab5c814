"""The webhooks API (scope ``webhooks:manage``): subscriptions, their delivery log and
manual redelivery, through the real app."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.webhooks import token_headers, web_app
from workflow import Database, SystemClock, WebhookStore

BODY = {"url": "https://erp.example.gov/hook", "events": ["task.*", "permit.approved"]}


@pytest.fixture
def client(committed: Database, tmp_path: Path) -> Any:
    return web_app(committed, tmp_path).test_client()


def create(client: Any, **body: Any) -> Any:
    return client.post(
        "/api/v1/webhooks", json=BODY | body, headers=token_headers(client, "manage")
    )


def test_api_webhooks__create_returns_the_secret_once(client: Any) -> None:
    created = create(client)
    assert created.status_code == 201
    secret = created.get_json()["secret"]
    assert secret.startswith("whsec_")
    shown = client.get(created.headers["Location"], headers=token_headers(client, "manage"))
    assert shown.status_code == 200 and "secret" not in shown.get_json()
    assert (
        "secret"
        not in client.get("/api/v1/webhooks", headers=token_headers(client, "manage")).get_json()[
            "items"
        ][0]
    )


def test_api_webhooks__a_given_secret_is_kept(client: Any) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert create(client, secret=secret).get_json()["secret"] == secret


def test_api_webhooks__need_the_webhooks_manage_scope(client: Any) -> None:
    response = client.get("/api/v1/webhooks", headers=token_headers(client, "read"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": "ftp://x.example/"}, "/url"),
        ({"events": []}, "/events"),
        ({"events": ["task.[a]"]}, "/events/0"),
        ({"secret": "whsec_c2hvcnQ="}, "/secret"),
    ],
)
def test_api_webhooks__invalid_subscriptions_are_422_with_a_pointer(
    client: Any, body: dict[str, Any], pointer: str
) -> None:
    response = create(client, **body)
    assert response.status_code == 422
    assert pointer in [item.get("pointer") for item in response.get_json()["errors"]]


def test_api_webhooks__patch_changes_and_reactivates(client: Any, committed: Database) -> None:
    location = create(client).headers["Location"]
    subscription = location.rsplit("/", 1)[1]
    with committed.transaction() as session:
        WebhookStore(session).update_subscription(
            uuid.UUID(subscription), SystemClock().now(), active=False
        )
    changed = client.patch(
        location, json={"active": True, "events": ["*"]}, headers=token_headers(client, "manage")
    )
    assert changed.status_code == 200
    assert (changed.get_json()["active"], changed.get_json()["events"]) == (True, ["*"])


def test_api_webhooks__delete_then_not_found(client: Any) -> None:
    location = create(client).headers["Location"]
    assert client.delete(location, headers=token_headers(client, "manage")).status_code == 204
    assert client.get(location, headers=token_headers(client, "manage")).status_code == 404


def test_api_webhooks__retry_of_an_unknown_delivery_is_not_found(client: Any) -> None:
    location = create(client).headers["Location"]
    response = client.post(
        f"{location}/deliveries/999/retry", headers=token_headers(client, "manage")
    )
    assert response.status_code == 404


def test_api_webhooks__an_out_of_range_delivery_id_is_refused_not_a_crash(client: Any) -> None:
    location = create(client).headers["Location"]
    response = client.post(
        f"{location}/deliveries/{2**70}/retry", headers=token_headers(client, "manage")
    )
    assert response.status_code == 422
