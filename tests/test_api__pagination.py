"""Lists are cursor-paginated: a ``next`` link continues until the last page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INPUT = {"applicant": "Jo", "address": "1 Main St"}


def _walk(client: Any, url: str, headers: dict[str, str]) -> list[list[str]]:
    pages = []
    while url:
        body = client.get(url, headers=headers).get_json()
        pages.append([item["id"] for item in body["items"]])
        url = body["links"].get("next", {}).get("href")
        assert (url is None) == (body["next_cursor"] is None)
    return pages


def test_instance_search_pages_through_every_match(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str
) -> None:
    token = make_token()
    started = [
        client.post(
            "/api/v1/instances",
            json={"workflow": approval, "input": INPUT, "business_key": f"K{i}"},
            headers=token,
        ).get_json()["id"]
        for i in range(5)
    ]
    pages = _walk(client, "/api/v1/instances?workflow=approval&limit=2", token)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(i for p in pages for i in p) == sorted(started)


def test_the_inbox_pages_through_every_task(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str
) -> None:
    token = make_token()
    for _ in range(3):
        client.post("/api/v1/instances", json={"workflow": approval, "input": INPUT}, headers=token)
    ben = make_token("tasks:act", user="ben@planning.example.gov")
    pages = _walk(client, "/api/v1/tasks?view=queues&sort=created&limit=2", ben)
    assert [len(p) for p in pages] == [2, 1]


def test_search_filters_by_business_key(
    client: Any, make_token: Callable[..., dict[str, str]], approval: str
) -> None:
    token = make_token()
    for key in ("A-1", "A-2"):
        body = {"workflow": approval, "input": INPUT, "business_key": key}
        client.post("/api/v1/instances", json=body, headers=token)
    found = client.get("/api/v1/instances?business_key=A-2", headers=token).get_json()
    assert [i["business_key"] for i in found["items"]] == ["A-2"]
