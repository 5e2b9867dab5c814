"""The staff UI: server-rendered pages (Jinja, USWDS) that work without JavaScript,
made live by a small script on the ``/inbox`` socket.

Pages are thin adapters like the API's handlers: they build the engine's ``Actor``
from the request's principal (``web.principal``), ask the engine, and render what it
answered. Every string a person reads goes through Flask-Babel (English shipped, a
Spanish catalogue proving the layer works). Anonymous visitors are sent to sign-in.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, current_app, redirect, request
from flask_babel import Babel, format_datetime, format_timedelta, get_locale
from werkzeug import Response

from civicflow.services import Services
from web.principal import Authentication, current_principal

__all__ = ["LOCALES", "bp", "csrf_token", "install"]

LOCALES = ("en", "es")
TRANSLATIONS = Path(__file__).with_name("translations")

bp = Blueprint("ui", __name__, template_folder="templates")


def select_locale() -> str:
    """``?lang=`` first (a link on every page), then the browser's preference."""
    wanted = request.args.get("lang") or request.cookies.get("civicflow_lang")
    if wanted in LOCALES:
        return wanted
    return request.accept_languages.best_match(LOCALES) or "en"


def csrf_token() -> str:
    """The token every form posts (``csrf_token``). Session sign-ins (the SSO work)
    check it structurally in their authenticator; a token-authenticated request
    carries no cookie to forge, so it needs none."""
    try:
        principal = current_principal()
    except Exception:
        return ""
    if principal.kind != "session":
        return ""
    auth = importlib.import_module("web.auth")
    token: str = auth.csrf_token(principal.id, current_app.config["SECRET_KEY"])
    return token


def _to_sign_in() -> Response:
    target = request.full_path if request.query_string else request.path
    return redirect("/auth/login?" + urlencode({"next": target}))


def install(app: Flask, services: Services) -> None:
    from web.ui import inbox, resume, tasks  # noqa: F401  (their routes register on bp)

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        locales=LOCALES,
        get_locale=get_locale,
        format_datetime=format_datetime,
        format_timedelta=format_timedelta,
    )
    Authentication.of(app).on_anonymous["ui"] = _to_sign_in
    app.register_blueprint(bp)


def context(**values: Any) -> dict[str, Any]:
    """What every page template gets besides its own values."""
    principal = current_principal()
    return {"me": principal, **values}
