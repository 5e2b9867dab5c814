"""Inbound webhooks (``POST /hooks/{source}``): filled in by the webhooks work.

The blueprint is registered by the app factory already; its views authenticate by
signature, not by principal, so each is marked ``web.principal.public``.
"""

from __future__ import annotations

from flask_openapi3.blueprint import APIBlueprint

__all__ = ["bp"]

bp = APIBlueprint("hooks", __name__, url_prefix="/hooks")

# the view registers itself on ``bp`` when its module is imported
from web.hooks import receive as _receive  # noqa: E402,F401
