"""The /inbox namespace admits only an authenticated person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.realtime_support import NAMESPACE, socket


def test_a_socket_without_credentials_is_refused(app: Any, client: Any) -> None:
    sock = socket(app, client)
    assert not sock.is_connected(NAMESPACE)


def test_a_socket_with_a_bad_token_is_refused(app: Any, client: Any) -> None:
    sock = socket(app, client, {"Authorization": "Bearer not-a-token"})
    assert not sock.is_connected(NAMESPACE)


def test_a_token_acting_for_nobody_is_refused(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    sock = socket(app, client, make_token("instances:read"))
    assert not sock.is_connected(NAMESPACE)


def test_a_person_connects(
    app: Any, client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    sock = socket(app, client, make_token(user="ben@planning.example.gov"))
    assert sock.is_connected(NAMESPACE)
    sock.disconnect(NAMESPACE)
