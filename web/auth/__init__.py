"""Sign-in through each agency's own identity provider (OpenID Connect, Authlib).

``install(app, settings)`` loads and validates ``CIVICFLOW_IDP_CONFIG`` (a broken
file stops start-up with ``file:line:col`` errors), registers the ``auth``
blueprint, and adds the browser-session authenticator to the app's authentication
step, so every route — API, UI, sockets — sees a signed-in person through
``current_principal()``. Discovery documents and keys are fetched on first use, not
at start-up, so the factory does no network I/O.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from civicflow.config import Settings
from web.auth import devidp
from web.auth.config import load_providers
from web.auth.oidc import ProviderClient
from web.auth.sessions import csrf_token, session_authenticator
from web.auth.state import EXTENSION, AuthState, SessionsEnded
from web.auth.views import bp
from web.principal import Authentication

__all__ = ["AuthState", "SessionsEnded", "bp", "csrf_token", "install", "on_sessions_ended"]


def install(app: Flask, settings: Settings) -> AuthState:
    configs = load_providers(settings.idp_config) if settings.idp_config else {}
    if settings.dev_idp:
        configs[devidp.NAME] = devidp.provider_config(settings)
    state = AuthState(configs=configs, clients={n: ProviderClient(c) for n, c in configs.items()})
    app.extensions[EXTENSION] = state
    Authentication.of(app).add(session_authenticator)
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.register_blueprint(bp)
    return state


def on_sessions_ended(app: Flask, hook: SessionsEnded) -> None:
    """Call ``hook`` with the ids of sessions a back-channel logout ended (after
    commit): the realtime layer disconnects those sessions' sockets."""
    AuthState.of(app).on_sessions_ended.append(hook)
