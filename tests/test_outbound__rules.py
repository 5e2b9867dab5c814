"""Subscription patterns, the retry schedule and the egress guard, without a network."""

from __future__ import annotations

import random
from datetime import timedelta

import httpx
import pytest

from integrations.egress import Egress, EgressRefusedError
from integrations.outbound import RetryPolicy, check_events
from workflow import InvalidDataError, event_matches


@pytest.mark.parametrize(
    ("patterns", "event", "expected"),
    [
        (["*"], "permit.approved", True),
        (["task.*"], "task.created", True),
        (["task.*"], "taskforce.created", False),
        (["instance.started"], "instance.started", True),
        (["instance.started"], "instance.completed", False),
    ],
)
def test_rules__event_patterns(patterns: list[str], event: str, expected: bool) -> None:
    assert event_matches(patterns, event) is expected


def test_rules__an_odd_pattern_is_refused() -> None:
    with pytest.raises(InvalidDataError, match=r"events\[1\]"):
        check_events(["task.*", "task.[a-z]"])


def test_rules__backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)
    first = [policy.delay(1, rng) for _ in range(50)]
    assert all(timedelta(seconds=15) <= d <= timedelta(seconds=30) for d in first)
    assert len(set(first)) > 1
    assert timedelta(minutes=2) <= policy.delay(4, rng) <= timedelta(minutes=4)
    assert policy.delay(40, rng) <= timedelta(hours=6)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/", "http://10.1.2.3/"]
)
def test_rules__egress_refuses_internal_addresses(url: str) -> None:
    with pytest.raises(EgressRefusedError, match="CIVICFLOW_WEBHOOK_ALLOW_PRIVATE"):
        Egress(allow_private=False).resolve(httpx.URL(url))


def test_rules__egress_refuses_a_name_resolving_to_loopback() -> None:
    with pytest.raises(EgressRefusedError, match="localhost resolves to"):
        Egress(allow_private=False).resolve(httpx.URL("http://localhost:8080/hook"))


def test_rules__egress_connects_to_the_address_it_checked() -> None:
    assert Egress(allow_private=False).resolve(httpx.URL("https://8.8.8.8/")) == "8.8.8.8"
