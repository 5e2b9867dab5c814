"""Which sockets hear which outbox event: one room per person, one per queue.

A task event goes to the room of the task's queue and to the room of its assignee
(who may sit in another department, e.g. after a delegation). Nobody else hears it:
a person joins only their own room and the rooms of their own queues, so someone of
another department receives nothing about a task outside their queues. Instance
events carry no queue and go to no one; the task events of the same change say
everything an inbox shows.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NAMESPACE", "queue_room", "rooms_for", "user_room"]

NAMESPACE = "/inbox"


def user_room(email: str) -> str:
    return f"user:{email}"


def queue_room(queue: str) -> str:
    return f"queue:{queue}"


def rooms_for(event: dict[str, Any]) -> list[str]:
    """The rooms an outbox event is sent to (none for events that are not a task's)."""
    task = event.get("task")
    if not str(event.get("type", "")).startswith("task.") or not isinstance(task, dict):
        return []
    rooms = [queue_room(str(task["queue"]))]
    for person in (task.get("assignee"), task.get("completed_by")):
        if person and user_room(str(person)) not in rooms:
            rooms.append(user_room(str(person)))
    return rooms
