"""Civicflow's web app: ``create_app(settings)`` (see web/app.py)."""

from __future__ import annotations

from web.app import create_app

__all__ = ["create_app"]
