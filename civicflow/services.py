"""What every entry point shares: settings, the database and the engine.

The command line, the web app's factory and the worker each build one ``Services``
from ``Settings`` and pass it down; nothing here is global. The database is opened
on first use, so commands that need none (``validate``, ``graph``) never touch it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicflow.config import Settings
from workflow import Actor, Clock, Database, Engine, People, SystemClock

__all__ = ["Services"]


class Services:
    """Settings, the database and the engine, made on demand and closed together."""

    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, db: Database | None = None
    ) -> None:
        self.settings = settings
        self._db: Database | None = db
        self.engine = Engine(clock=clock or SystemClock())

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None

    def actor(self, session: Session, email: str, *, idp: str, mfa: bool = False) -> Actor:
        """A person from the database (imported from the directory or signed in)."""
        return People(session).actor(email, idp=idp, mfa=mfa)
