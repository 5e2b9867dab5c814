"""Rate limits (Flask-Limiter): one budget per API token, one per client address.

Counters live in Redis when ``CIVICFLOW_REDIS_URL`` is set, so every web process
shares them; in memory otherwise (one process). Health checks and the API's
document are exempt: orchestrators probe them often, and they cost nothing. A
refused request is a ``429`` problem with ``Retry-After`` (``web.problems``).

Flask-Limiter's own headers stay off: it would stamp every response with a
``Retry-After`` of its window's reset, which means nothing on a 200 and overrides the
``Retry-After: 1`` of a 503 for a busy database.
"""

from __future__ import annotations

import hashlib
import time

from flask import Blueprint, Flask, current_app, request
from flask_limiter import Limit, Limiter
from flask_limiter.util import get_remote_address

from civicflow.config import Settings

__all__ = ["install", "retry_after"]


def _token_key() -> str:
    credentials = request.headers.get("Authorization", "")
    return "token:" + hashlib.sha256(credentials.encode()).hexdigest()[:32]


def _no_token() -> bool:
    return not request.headers.get("Authorization")


def install(app: Flask, settings: Settings, *, exempt: list[Blueprint]) -> Limiter:
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        default_limits=[
            Limit(settings.rate_limit_token, key_function=_token_key, exempt_when=_no_token),
            Limit(settings.rate_limit_address, key_function=get_remote_address),
        ],
        key_prefix="civicflow",
        strategy="fixed-window",
    )
    for blueprint in exempt:
        limiter.exempt(blueprint)
    return limiter


def retry_after() -> int:
    """Seconds until the breached limit's window resets (at least 1): a 429's
    ``Retry-After``."""
    limiters: set[Limiter] = current_app.extensions.get("limiter", set())
    resets = [limiter.current_limit.reset_at for limiter in limiters if limiter.current_limit]
    return max(1, int(max(resets) - time.time())) if resets else 1
