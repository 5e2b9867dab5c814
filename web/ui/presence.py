"""Who views the tasks a page shows, rendered by the server.

The live script learns about viewers from ``presence`` socket events, which only
come when a task's viewers change; a page that just loaded or reconnected would not
know who was already there. So every inbox page (and fragment) and task page reads
the viewers of the tasks it shows — one read of the store for the whole page
(``Presence.viewers_of``) — and renders them twice: as the "Viewing now: …" text
(the signed-in person left out, as the script does), which works without JavaScript,
and as ``data-viewers`` JSON, from which the script reseeds its map on every resync.

Presence is best-effort: without the realtime layer, or with its store unreachable
(``PresenceError``), pages render no presence (and no ``data-viewers``, so the
script keeps what its socket told it) instead of failing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from web.realtime import Realtime
from web.realtime.presence import PresenceError

__all__ = ["Shown", "shown_presence"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class Shown:
    """One task's presence as a page renders it."""

    text: str  # "Viewing now: …" for the others, "" when nobody else looks
    data: str  # every viewer as JSON (the script filters out the person itself)


def shown_presence(task_ids: Iterable[object], me: str | None) -> dict[str, Shown]:
    """The presence of each task (by its id as text); {} when it cannot be known."""
    ids = [str(t) for t in task_ids]
    realtime = Realtime.installed(current_app)
    if realtime is None or not ids:
        return {}
    try:
        viewers = realtime.presence.viewers_of(ids)
    except PresenceError as error:
        log.warning("presence not shown: %s", error)
        return {}
    shown = {}
    for task_id in ids:
        everyone = viewers.get(task_id, [])
        others = [v["name"] for v in everyone if v["email"] != me]
        text = _("Viewing now: %(names)s", names=", ".join(others)) if others else ""
        shown[task_id] = Shown(text=str(text), data=json.dumps(everyone))
    return shown
