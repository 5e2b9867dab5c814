"""Every UI string goes through Flask-Babel: the Spanish catalogue is used when asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui_support import BEN, as_person, text_of, ui_world

__all__ = ["as_person", "ui_world"]


def test_a_spanish_browser_gets_the_spanish_inbox(
    client: Any, as_person: Callable[[str], dict[str, str]]
) -> None:
    page = text_of(
        client.get("/inbox", headers={**as_person(BEN), "Accept-Language": "es-ES,es;q=0.9"})
    )
    assert '<html lang="es">' in page
    assert "<h1>Bandeja de entrada</h1>" in page


def test_english_is_the_default(client: Any, as_person: Callable[[str], dict[str, str]]) -> None:
    page = text_of(client.get("/inbox", headers=as_person(BEN)))
    assert '<html lang="en">' in page
    assert "<h1>Inbox</h1>" in page
