"""The API's views (filled in per resource)."""

from __future__ import annotations
