"""The presence stores' promise (in memory and in Redis), and what only the shared
one must do: several processes see each other's viewers, a process that stops
beating loses its viewers after the TTL, a wrongly dropped one writes them back.

Each Redis test has its own key prefix (so parallel runs never meet) and deletes
every key under it afterwards; "processes" are separate ``RedisPresence`` objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from civicflow.config import Settings
from tests.realtime_support import REDIS_URL, need_redis, until
from tests.servers import free_port
from web.realtime import presence_for
from web.realtime.presence import MemoryPresence, Presence, PresenceError, Viewer
from web.realtime.presence_redis import RedisPresence

ANA = Viewer(sid="ana-tab-1", email="ana@planning.example.gov", name="Ana Ortiz")
ANA_AGAIN = Viewer(sid="ana-tab-2", email=ANA.email, name=ANA.name)
BEN = Viewer(sid="ben-tab", email="ben@planning.example.gov", name="Ben Okafor")
TASK, OTHER = str(uuid.uuid4()), str(uuid.uuid4())
WHO_ANA = {"email": ANA.email, "name": ANA.name}
WHO_BEN = {"email": BEN.email, "name": BEN.name}

Factory = Callable[..., RedisPresence]


@pytest.fixture
def shared() -> Iterator[Factory]:
    """Makes "processes" sharing one Redis under a prefix of this test's own."""
    need_redis()
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"civicflow-test:{uuid.uuid4().hex}:presence:"

    def make(ttl: float = 30, *, through: redis.Redis | None = None) -> RedisPresence:
        return RedisPresence(through or client, ttl=ttl, prefix=prefix)

    yield make
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Presence:
    if request.param == "memory":
        return MemoryPresence()
    made: RedisPresence = request.getfixturevalue("shared")()
    made.beat()
    return made


# -- both stores ---------------------------------------------------------------------------


def test_two_tabs_of_one_person_are_one_viewer(store: Presence) -> None:
    store.view(TASK, ANA)
    store.view(TASK, ANA_AGAIN)
    store.view(TASK, BEN)
    assert store.viewers(TASK) == [WHO_ANA, WHO_BEN]


def test_closing_one_tab_keeps_the_person(store: Presence) -> None:
    store.view(TASK, ANA)
    store.view(TASK, ANA_AGAIN)
    assert store.leave(ANA.sid) == TASK
    assert store.viewers(TASK) == [WHO_ANA]
    assert store.leave(ANA_AGAIN.sid) == TASK
    assert store.viewers(TASK) == []
    assert store.leave(ANA_AGAIN.sid) is None  # leaving twice changes nothing


def test_a_socket_views_one_task_at_a_time(store: Presence) -> None:
    assert store.view(TASK, ANA) is None
    assert store.view(TASK, ANA) is None  # the same task again: nothing left
    assert store.view(OTHER, ANA) == TASK
    assert (store.viewers(TASK), store.viewers(OTHER)) == ([], [WHO_ANA])


def test_a_page_of_tasks_is_read_at_once(store: Presence) -> None:
    store.view(TASK, ANA)
    store.view(TASK, BEN)
    store.view(OTHER, ANA_AGAIN)
    nobody = str(uuid.uuid4())
    assert store.viewers_of([TASK, OTHER, nobody]) == {
        TASK: [WHO_ANA, WHO_BEN],
        OTHER: [WHO_ANA],
        nobody: [],
    }
    assert store.viewers_of([OTHER, OTHER]) == {OTHER: [WHO_ANA]}
    assert store.viewers_of([]) == {}
    store.leave(ANA_AGAIN.sid)
    assert store.viewers_of([TASK, OTHER]) == {TASK: [WHO_ANA, WHO_BEN], OTHER: []}


def test_closing_withdraws_every_viewer_of_the_process(store: Presence) -> None:
    store.view(TASK, ANA)
    store.view(OTHER, BEN)
    assert sorted(store.close()) == sorted([TASK, OTHER])
    assert (store.viewers(TASK), store.viewers(OTHER)) == ([], [])


# -- shared through Redis -------------------------------------------------------------------


def test_processes_see_each_others_viewers(shared: Factory) -> None:
    first, second = shared(), shared()
    first.beat()
    second.beat()
    first.view(TASK, BEN)
    second.view(TASK, ANA)
    second.view(OTHER, ANA_AGAIN)
    assert first.viewers(TASK) == second.viewers(TASK) == [WHO_ANA, WHO_BEN]
    second.leave(ANA.sid)  # her other tab, on OTHER, stays
    assert first.viewers(TASK) == [WHO_BEN]
    assert first.viewers(OTHER) == [WHO_ANA]


def test_a_process_that_stops_beating_loses_its_viewers_after_the_ttl(
    shared: Factory,
) -> None:
    dying, living = shared(ttl=1), shared(ttl=1)
    dying.beat()
    living.beat()
    dying.view(TASK, ANA)
    living.view(TASK, BEN)
    assert living.viewers(TASK) == [WHO_ANA, WHO_BEN]
    # ``dying`` never beats again (as if killed); ``living`` keeps beating.
    swept: list[str] = []
    until(lambda: swept.extend(living.beat()) or TASK in swept, what="the sweep reports TASK")
    assert living.viewers(TASK) == [WHO_BEN]
    client = living.client
    assert not client.exists(f"{living.prefix}process:{dying.process}")
    assert client.zscore(f"{living.prefix}alive", dying.process) is None
    assert TASK not in living.beat()  # swept once, by one process


def test_a_page_read_leaves_out_a_dead_process_before_any_sweep(shared: Factory) -> None:
    dying, living = shared(ttl=1), shared(ttl=30)
    dying.beat()
    living.beat()
    dying.view(TASK, ANA)
    dying.view(OTHER, ANA_AGAIN)
    living.view(TASK, BEN)
    assert living.viewers_of([TASK, OTHER]) == {TASK: [WHO_ANA, WHO_BEN], OTHER: [WHO_ANA]}
    # ``dying`` never beats again and nobody sweeps: the read itself applies the rule.
    until(
        lambda: living.viewers_of([TASK, OTHER]) == {TASK: [WHO_BEN], OTHER: []},
        what=lambda: f"still seen: {living.viewers_of([TASK, OTHER])}",
    )
    assert living.client.zscore(f"{living.prefix}alive", dying.process) is not None  # unswept
    assert living.viewers(TASK) == [WHO_BEN]  # one rule for both reads


class Counting(redis.Redis):
    """A real client that counts the commands it sends (one per round trip here)."""

    sent = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent += 1
        return super().execute_command(*args, **options)


def test_a_page_of_fifty_rows_costs_one_round_trip(shared: Factory) -> None:
    store = shared(through=Counting.from_url(REDIS_URL))
    store.beat()
    page = [str(uuid.uuid4()) for _ in range(50)]
    store.view(page[0], ANA)
    store.view(page[49], BEN)
    store.viewers_of(page[:1])  # the script is loaded into Redis once per client
    client = store.client
    assert isinstance(client, Counting)
    client.sent = 0
    found = store.viewers_of(page)
    assert client.sent == 1
    assert (found[page[0]], found[page[49]], found[page[7]]) == ([WHO_ANA], [WHO_BEN], [])


def test_a_process_wrongly_dropped_writes_its_viewers_back(shared: Factory) -> None:
    stalled, other = shared(ttl=1), shared(ttl=1)
    stalled.beat()
    other.beat()
    stalled.view(TASK, ANA)
    until(lambda: TASK in other.beat(), what="the stalled process is swept")
    assert other.viewers(TASK) == []
    assert TASK in stalled.beat()  # back: its socket is still there
    assert other.viewers(TASK) == [WHO_ANA]


def test_nothing_is_left_once_every_process_closed(shared: Factory) -> None:
    first, second = shared(), shared()
    first.beat()
    second.beat()
    first.view(TASK, ANA)
    second.view(TASK, BEN)
    first.close()
    assert second.viewers(TASK) == [WHO_BEN]
    second.close()
    assert list(first.client.scan_iter(match=f"{first.prefix}*")) == []


def test_an_unreachable_redis_is_a_presence_error() -> None:
    store = RedisPresence.from_url(f"redis://127.0.0.1:{free_port()}/0", ttl=30)
    with pytest.raises(PresenceError):
        store.view(TASK, ANA)
    with pytest.raises(PresenceError):
        store.viewers(TASK)
    with pytest.raises(PresenceError):
        store.viewers_of([TASK, OTHER])
    assert store.leave(ANA.sid) is None  # it never recorded the socket


# -- configuration ---------------------------------------------------------------------------


def test_settings_choose_the_store_and_its_ttl() -> None:
    assert isinstance(presence_for(Settings.from_env({})), MemoryPresence)
    shared_store = presence_for(
        Settings.from_env({"CIVICFLOW_REDIS_URL": REDIS_URL, "CIVICFLOW_PRESENCE_TTL_SECONDS": "6"})
    )
    assert isinstance(shared_store, RedisPresence)
    assert (shared_store.ttl_ms, shared_store.beat_interval) == (6000, 2)
    assert Settings.from_env({}).presence_ttl_seconds == 30
    with pytest.raises(ValueError, match="CIVICFLOW_PRESENCE_TTL_SECONDS"):
        Settings.from_env({"CIVICFLOW_PRESENCE_TTL_SECONDS": "0"})
