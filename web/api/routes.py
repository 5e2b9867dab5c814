"""The API's views, one module per resource; importing them registers them on ``bp``."""

from __future__ import annotations

from web.api import attachments, definitions, instances, people, tasks, webhooks

__all__ = ["attachments", "definitions", "instances", "people", "tasks", "webhooks"]
