"""Who views a task is on the server-rendered page: a colleague's inbox row (full page
and the live fragment) and task page say "Viewing now: …" as soon as they load — no
JavaScript, no waiting for the next presence change — and carry the viewers as
``data-viewers`` for the live script to reseed from. The viewer is not told about
themself, another department's pages never name them, and a presence store that
cannot answer leaves the pages working, without presence."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.realtime_support import NAMESPACE, socket
from tests.servers import free_port
from tests.ui_support import ANA, BEN, PAT, as_person, start_inspection, text_of, ui_world
from web.realtime import Realtime
from web.realtime.presence_redis import RedisPresence

__all__ = ["as_person", "start_inspection", "ui_world"]  # fixtures used below

Headers = Callable[[str], dict[str, str]]
ANA_VIEWING = [{"email": ANA, "name": "Ana Ortiz"}]


def presence_of(page: str, task: str) -> tuple[str, list[dict[str, str]] | None]:
    """The text of the task's ``[data-presence]`` element, and its ``data-viewers``."""
    found = re.search(
        rf'<(?:span|p) class="cf-presence[^"]*" data-presence="{task}"([^>]*)>([^<]*)<', page
    )
    assert found, f"no presence element for {task}"
    viewers = re.search(r'data-viewers="([^"]*)"', found.group(1))
    shown = json.loads(html.unescape(viewers.group(1))) if viewers else None
    return html.unescape(found.group(2)).strip(), shown


def view(app: Any, client: Any, headers: dict[str, str], task: str) -> Any:
    """A task page's socket saying what it views, as live.js does."""
    sock = socket(app, client, headers)
    assert sock.is_connected(NAMESPACE)
    sock.emit("viewing", {"task_id": task}, namespace=NAMESPACE)
    return sock


def test_a_colleague_sees_who_is_viewing_as_the_page_loads(
    app: Any, client: Any, as_person: Headers, start_inspection: Callable[..., str]
) -> None:
    task, quiet = start_inspection("9 Seen St"), start_inspection("10 Quiet St")
    before = text_of(client.get("/inbox?view=queues", headers=as_person(BEN)))
    assert presence_of(before, task) == ("", [])

    view(app, client, as_person(ANA), task)

    ben = as_person(BEN)
    for url in ("/inbox?view=queues", "/inbox?view=queues&fragment=1"):
        page = text_of(client.get(url, headers=ben))
        assert presence_of(page, task) == ("Viewing now: Ana Ortiz", ANA_VIEWING), url
        assert presence_of(page, quiet) == ("", []), url
    task_page = text_of(client.get(f"/tasks/{task}", headers=ben))
    assert presence_of(task_page, task) == ("Viewing now: Ana Ortiz", ANA_VIEWING)


def test_the_viewer_is_not_told_about_themself(
    app: Any, client: Any, as_person: Headers, start_inspection: Callable[..., str]
) -> None:
    task = start_inspection("11 Mirror St")
    ana = as_person(ANA)
    view(app, client, ana, task)
    inbox = text_of(client.get("/inbox?view=queues", headers=ana))
    assert presence_of(inbox, task) == ("", ANA_VIEWING)  # the script filters her out too
    assert presence_of(text_of(client.get(f"/tasks/{task}", headers=ana)), task) == (
        "",
        ANA_VIEWING,
    )
    view(app, client, as_person(BEN), task)
    both = presence_of(text_of(client.get(f"/tasks/{task}", headers=ana)), task)
    assert both[0] == "Viewing now: Ben Okafor"


def test_another_department_never_sees_the_viewer(
    app: Any, client: Any, as_person: Headers, start_inspection: Callable[..., str]
) -> None:
    task = start_inspection("12 Boundary St")
    view(app, client, as_person(ANA), task)
    pat = as_person(PAT)
    for tab in ("mine", "queues", "overdue", "completed"):
        for url in (f"/inbox?view={tab}", f"/inbox?view={tab}&fragment=1"):
            page = text_of(client.get(url, headers=pat))
            assert "Ana Ortiz" not in page and ANA not in page and task not in page, url
    answer = client.get(f"/tasks/{task}", headers=pat)
    assert answer.status_code == 404
    assert "Ana Ortiz" not in text_of(answer) and ANA not in text_of(answer)


def test_a_spanish_page_says_it_in_spanish(
    app: Any, client: Any, as_person: Headers, start_inspection: Callable[..., str]
) -> None:
    task = start_inspection("13 Idioma St")
    view(app, client, as_person(ANA), task)
    page = client.get(
        "/inbox?view=queues", headers={**as_person(BEN), "Accept-Language": "es-ES,es;q=0.9"}
    )
    assert presence_of(text_of(page), task) == ("Viendo ahora: Ana Ortiz", ANA_VIEWING)


def test_pages_render_without_presence_when_it_cannot_be_read(
    app: Any,
    client: Any,
    as_person: Headers,
    start_inspection: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    task = start_inspection("14 Offline St")
    view(app, client, as_person(ANA), task)
    ben = as_person(BEN)
    unreachable = RedisPresence.from_url(f"redis://127.0.0.1:{free_port()}/0", ttl=30)
    monkeypatch.setattr(Realtime.of(app).namespace, "presence", unreachable)
    for url in ("/inbox?view=queues", "/inbox?view=queues&fragment=1", f"/tasks/{task}"):
        answer = client.get(url, headers=ben)
        assert answer.status_code == 200, url
        assert presence_of(text_of(answer), task) == ("", None), url  # no data-viewers
    monkeypatch.delitem(app.extensions, "civicflow.realtime")  # no realtime layer at all
    for url in ("/inbox?view=queues", f"/tasks/{task}"):
        answer = client.get(url, headers=ben)
        assert answer.status_code == 200, url
        assert presence_of(text_of(answer), task) == ("", None), url
