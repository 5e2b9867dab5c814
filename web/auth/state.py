"""What the auth blueprint keeps per app: the providers and the logout hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

from web.auth.config import ProviderConfig
from web.auth.oidc import ProviderClient

__all__ = ["EXTENSION", "AuthState", "SessionsEnded"]

EXTENSION = "civicflow.auth"

SessionsEnded = Callable[[list[str]], None]
"""Told the ids of sessions a back-channel logout ended, after commit (the realtime
layer disconnects their sockets)."""


@dataclass
class AuthState:
    configs: dict[str, ProviderConfig]
    clients: dict[str, ProviderClient]
    on_sessions_ended: list[SessionsEnded] = field(default_factory=list)

    @staticmethod
    def of(app: Flask) -> AuthState:
        found: AuthState = app.extensions[EXTENSION]
        return found
