"""Presence shared through Redis, so every web process sees every viewer.

Keys (``prefix`` defaults to ``civicflow:presence:``):

- ``<prefix>task:<task>`` — a hash per viewed task: ``<process>:<sid>`` → JSON
  ``{"email", "name"}``, one field per viewing socket. Two tabs of one person are two
  fields and one viewer (``people``), so closing one tab keeps them.
- ``<prefix>process:<process>`` — the set of tasks this process has viewers on, so
  the viewers of a process that died can be found without scanning.
- ``<prefix>alive`` — a sorted set: process → until when (Redis clock, ms) it counts
  as alive.

Liveness is per process, not per viewer: every ``beat_interval`` (a third of the TTL)
a process pushes its own deadline ``TTL`` ahead — one write however many sockets it
holds. ``viewers()`` and ``viewers_of()`` (a page's tasks in one script) ignore
the fields of processes past their deadline, so a killed process's viewers vanish
from every answer at most ``TTL`` after its last beat; the next ``beat()`` of any
living process then removes them for good and returns their tasks, which that
process announces to the tasks' queues. A process that was wrongly declared dead (it
stalled longer than the TTL) notices on its next beat (its deadline had passed) and
writes its viewers back. The task hashes and
process sets also expire (twice the TTL, refreshed on each beat) so nothing is left
behind when every process is gone.

Each change is one ``MULTI``/``EXEC`` or one Lua script, so concurrent processes never
interleave inside a read-modify-write; time is always Redis's (``TIME``), never a
web machine's clock. This process's socket → task map stays in memory: a socket
belongs to exactly one process. All keys live on one Redis (the one the Socket.IO
message queue uses); the scripts are not meant for Redis Cluster.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from web.realtime.presence import PresenceError, Viewer, people

__all__ = ["PREFIX", "RedisPresence"]

PREFIX = "civicflow:presence:"

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: alive; ARGV: process, ttl (ms). Returns 1 when the process was missing or
# past its deadline: others may have dropped its viewers, which it then writes back.
_BEAT = (
    _NOW
    + """
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if old == false or tonumber(old) < now then return 1 end
return 0
"""
)

# KEYS: alive, then one hash per task. Returns, per task in KEYS' order, the values
# of the living processes' fields, and drops those of processes that are gone (their
# tasks are still announced by SWEEP). One script for a whole page of tasks: one
# round trip, each process's liveness looked up once.
_VIEWERS = (
    _NOW
    + """
local known, answer = {}, {}
for k = 2, #KEYS do
  local entries = redis.call('HGETALL', KEYS[k])
  local living = {}
  for i = 1, #entries, 2 do
    local process = string.match(entries[i], '^([^:]*):')
    if known[process] == nil then
      local score = redis.call('ZSCORE', KEYS[1], process)
      known[process] = score ~= false and tonumber(score) >= now
    end
    if known[process] then
      living[#living + 1] = entries[i + 1]
    else
      redis.call('HDEL', KEYS[k], entries[i])
    end
  end
  answer[#answer + 1] = living
end
return answer
"""
)

# KEYS: alive; ARGV: prefix, and optionally one process to forget now (close).
# Removes every process past its deadline (or the one named) with all its viewers;
# returns the tasks they viewed. One script, so one sweeper wins each dead process.
_SWEEP = (
    _NOW
    + """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if ARGV[2] then gone = {ARGV[2]} end
local changed = {}
for _, process in ipairs(gone) do
  local tasks_key = ARGV[1] .. 'process:' .. process
  local mark = process .. ':'
  for _, task in ipairs(redis.call('SMEMBERS', tasks_key)) do
    local hash = ARGV[1] .. 'task:' .. task
    for _, name in ipairs(redis.call('HKEYS', hash)) do
      if string.sub(name, 1, #mark) == mark then redis.call('HDEL', hash, name) end
    end
    changed[#changed + 1] = task
  end
  redis.call('DEL', tasks_key)
  redis.call('ZREM', KEYS[1], process)
end
return changed
"""
)


class RedisPresence:
    """Presence in Redis (``CIVICFLOW_REDIS_URL``), one instance per web process."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        ttl: float,
        prefix: str = PREFIX,
        process: str | None = None,
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"the presence TTL must be positive, got {ttl!r}")
        self.client = client
        self.ttl_ms = max(1, round(ttl * 1000))
        self.prefix = prefix
        self.process = process or uuid.uuid4().hex  # no ':' (the field separator)
        self._where: dict[str, str] = {}  # this process's sockets: sid -> task
        self._local: dict[str, dict[str, Viewer]] = {}  # task -> sid -> who (for restore)
        self._lock = threading.Lock()  # serialises this process's writes per socket
        self._beat = client.register_script(_BEAT)
        self._viewers = client.register_script(_VIEWERS)
        self._sweep = client.register_script(_SWEEP)

    @classmethod
    def from_url(cls, url: str, *, ttl: float) -> RedisPresence:
        # Pages read presence while they render: a Redis that is down or hangs must
        # cost them about a second, not redis-py's default retries with backoff
        # (about 3 s per call). One immediate retry still covers a dropped pooled
        # connection.
        client = redis.Redis.from_url(
            url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 1)
        )
        return cls(client, ttl=ttl)

    @property
    def beat_interval(self) -> float:
        return self.ttl_ms / 3000

    # -- keys -----------------------------------------------------------------------

    @property
    def _alive(self) -> str:
        return f"{self.prefix}alive"

    def _task_key(self, task_id: str) -> str:
        return f"{self.prefix}task:{task_id}"

    @property
    def _tasks_key(self) -> str:
        return f"{self.prefix}process:{self.process}"

    def _field(self, sid: str) -> str:
        return f"{self.process}:{sid}"

    # -- the Presence protocol --------------------------------------------------------

    def view(self, task_id: str, viewer: Viewer) -> str | None:
        value = json.dumps({"email": viewer.email, "name": viewer.name})
        with self._lock, _reporting():
            pipe = self.client.pipeline(transaction=True)
            left = self._forget(pipe, viewer.sid, staying=task_id)
            pipe.hset(self._task_key(task_id), self._field(viewer.sid), value)
            pipe.pexpire(self._task_key(task_id), 2 * self.ttl_ms)
            pipe.sadd(self._tasks_key, task_id)
            pipe.pexpire(self._tasks_key, 2 * self.ttl_ms)
            pipe.execute()
            self._drop(viewer.sid)
            self._local.setdefault(task_id, {})[viewer.sid] = viewer
            self._where[viewer.sid] = task_id
            return left if left != task_id else None

    def leave(self, sid: str) -> str | None:
        with self._lock, _reporting():
            pipe = self.client.pipeline(transaction=True)
            left = self._forget(pipe, sid)
            pipe.execute()
            self._drop(sid)
            return left

    def viewers(self, task_id: str) -> list[dict[str, str]]:
        return self.viewers_of([task_id])[task_id]

    def viewers_of(self, task_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
        asked = list(dict.fromkeys(task_ids))
        if not asked:
            return {}
        keys = [self._alive, *(self._task_key(t) for t in asked)]
        with _reporting():
            answers = self._viewers(keys=keys)
        found: dict[str, list[dict[str, str]]] = {}
        for task_id, values in zip(asked, answers, strict=True):
            entries = [json.loads(value) for value in values or []]
            found[task_id] = people(
                [Viewer(sid="", email=str(e["email"]), name=str(e["name"])) for e in entries]
            )
        return found

    def beat(self) -> list[str]:
        with self._lock, _reporting():
            pipe = self.client.pipeline(transaction=True)
            self._beat(keys=[self._alive], args=[self.process, self.ttl_ms], client=pipe)
            pipe.pexpire(self._tasks_key, 2 * self.ttl_ms)
            for task_id in self._local:
                pipe.pexpire(self._task_key(task_id), 2 * self.ttl_ms)
            created = pipe.execute()[0]
            changed = set(_texts(self._sweep(keys=[self._alive], args=[self.prefix])))
            if created and self._local:  # declared dead while alive: write ours back
                changed |= self._restore()
            return sorted(changed)

    def close(self) -> list[str]:
        with self._lock, _reporting():
            changed = _texts(self._sweep(keys=[self._alive], args=[self.prefix, self.process]))
            self._local.clear()
            self._where.clear()
            return sorted(set(changed))

    # -- internals ----------------------------------------------------------------------

    def _forget(self, pipe: Any, sid: str, staying: str | None = None) -> str | None:
        """Queue on ``pipe`` the removal of ``sid``'s field (and of its task from this
        process's set when it was our last socket there, unless it stays on it);
        returns the task it viewed. Local state changes only once Redis has it
        (``_drop``), so a failed write leaves both sides as they were."""
        task_id = self._where.get(sid)
        if task_id is None:
            return None
        pipe.hdel(self._task_key(task_id), self._field(sid))
        if set(self._local.get(task_id, {})) <= {sid} and task_id != staying:
            pipe.srem(self._tasks_key, task_id)
        return task_id

    def _drop(self, sid: str) -> None:
        task_id = self._where.pop(sid, None)
        sockets = self._local.get(task_id or "", {})
        sockets.pop(sid, None)
        if task_id is not None and not sockets:
            self._local.pop(task_id, None)

    def _restore(self) -> set[str]:
        pipe = self.client.pipeline(transaction=True)
        for task_id, sockets in self._local.items():
            key = self._task_key(task_id)
            for sid, viewer in sockets.items():
                value = json.dumps({"email": viewer.email, "name": viewer.name})
                pipe.hset(key, self._field(sid), value)
            pipe.pexpire(key, 2 * self.ttl_ms)
            pipe.sadd(self._tasks_key, task_id)
        pipe.pexpire(self._tasks_key, 2 * self.ttl_ms)
        pipe.execute()
        return set(self._local)


def _texts(values: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values or []]


@contextmanager
def _reporting() -> Iterator[None]:
    """Turns Redis's errors into ``PresenceError`` (callers need not know Redis)."""
    try:
        yield
    except redis.RedisError as error:
        raise PresenceError(f"presence store unavailable: {error}") from error
