"""The API's views (filled in per resource)."""

from __future__ import annotations

from web.api import webhooks as _webhooks  # noqa: F401
