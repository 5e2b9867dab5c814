"""Rate limits per token and per client address answer 429 with Retry-After; with
CIVICFLOW_REDIS_URL the counters live in Redis (shared by every web process)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from civicflow.config import Settings
from tests.realtime_support import REDIS_URL, need_redis
from web import create_app


def test_a_token_over_its_limit_gets_429_with_retry_after(
    settings: Settings, services: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    limited = dataclasses.replace(settings, rate_limit_token="3/minute")
    client = create_app(limited, services=services).test_client()
    token = make_token("instances:read")
    answers = [client.get("/api/v1/instances", headers=token).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/instances", headers=token)
    assert refused.get_json()["type"] == "urn:civicflow:problem:rate-limited"
    assert int(refused.headers["Retry-After"]) > 0
    other = make_token("instances:read")
    assert client.get("/api/v1/instances", headers=other).status_code == 200


def test_an_address_over_its_limit_is_refused_even_without_a_token(
    settings: Settings, services: Any, committed: Any
) -> None:
    limited = dataclasses.replace(settings, rate_limit_address="2/minute")
    client = create_app(limited, services=services).test_client()
    answers = [client.get("/api/v1/instances").status_code for _ in range(3)]
    assert answers == [401, 401, 429]
    assert client.get("/healthz").status_code == 200  # probes are exempt


def test_limits_are_shared_through_redis(
    settings: Settings, services: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    need_redis()
    limited = dataclasses.replace(settings, redis_url=REDIS_URL, rate_limit_token="2/minute")
    first = create_app(limited, services=services).test_client()
    second = create_app(limited, services=services).test_client()  # another "process"
    token = make_token("instances:read")
    address = {"REMOTE_ADDR": f"127.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}
    codes = [
        client.get("/api/v1/instances", headers=token, environ_base=address).status_code
        for client in (first, second, first)
    ]
    assert codes == [200, 200, 429]


def test_an_answer_within_the_limit_carries_no_retry_after(
    client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    answer = client.get("/api/v1/instances", headers=make_token("instances:read"))
    assert answer.status_code == 200
    assert "Retry-After" not in answer.headers
