"""Shared fixtures: the same engine tests run against SQLite and PostgreSQL.

PostgreSQL: ``CIVICFLOW_TEST_POSTGRES_URL`` (default: the local server, user
postgres) is an *admin* URL; each test session creates its own database
``civicflow_test_<random>`` and drops it at the end, touching nothing else. Off CI an
unreachable server skips the PostgreSQL half with a message saying how to enable it;
with ``CI=true`` it fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.clock import FixedClock
from workflow.engine import Engine
from workflow.store.database import Database
from workflow.store.models import Base

# The two test agencies' OpenID providers (node + oidc-provider), for the SSO tests.
pytest_plugins = ["tests.oidc.agencies", "tests.oidc.relying_party"]

DATA = Path(__file__).parent / "data"
PG_ADMIN_URL = os.environ.get(
    "CIVICFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# A Monday morning, so business-day arithmetic in tests is easy to follow.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure to connect means "unavailable", said below
        return f"{type(error).__name__}: {error}".splitlines()[0]
    return None


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason is None:
        return
    message = f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({reason})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(f"{message}; start it or set CIVICFLOW_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated-on-demand PostgreSQL database for this test session."""
    require_postgres()
    name = f"civicflow_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database of each kind, shared by the session's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'civicflow.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = Database(url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = database.engine.connect()
    outer = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def committed(database: Database) -> Iterator[Database]:
    """The database for tests that need real commits (races, CLI); emptied afterwards."""
    yield database
    empty(database)


def empty(database: Database) -> None:
    """Delete every row: what a fixture that commits leaves behind for the next test."""
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(clock: FixedClock) -> Engine:
    return Engine(clock=clock)


def read(name: str) -> str:
    """A test definition from tests/data (``valid/x`` or a path under definitions/)."""
    path = DATA / f"{name}.yaml"
    if not path.exists():
        path = Path(__file__).parent.parent / "definitions" / f"{name}.yaml"
    return path.read_text(encoding="utf-8")


@pytest.fixture
def register(engine: Engine, session: Session) -> Callable[[str], str]:
    """Register a definition by test-data name; returns its workflow key."""

    def _register(name: str) -> str:
        return engine.register(session, read(name), path=f"{name}.yaml").key

    return _register


def staff(email: str, *queues: str, mfa: bool = False, leads: tuple[str, ...] = ()) -> Actor:
    """A person, for tests: member of ``queues``."""
    return Actor(
        id=email,
        name=email.split("@")[0],
        idp="test-idp",
        queues=frozenset(queues),
        leads=frozenset(leads),
        mfa=mfa,
    )


# -- the web app ---------------------------------------------------------------------------


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Any:
    from civicflow.config import Settings

    return Settings.from_env(
        {"CIVICFLOW_DATABASE_URL": database.url, "CIVICFLOW_DATA_DIR": str(tmp_path)}
    )


@pytest.fixture
def services(settings: Any, database: Database, clock: FixedClock) -> Any:
    """Services over the test session's database (not closed: the fixture owns it)."""
    from civicflow.services import Services

    return Services(settings, clock=clock, db=database)


@pytest.fixture
def app(settings: Any, services: Any) -> Any:
    """The web app over ``committed`` data: requests commit for real."""
    from web import create_app

    flask_app = create_app(settings, services=services)
    flask_app.config.update(TESTING=True)
    yield flask_app
    flask_app.extensions["civicflow.realtime"].unsubscribe()  # the database outlives the app


@pytest.fixture
def client(app: Any, committed: Database) -> Any:
    return app.test_client()


@pytest.fixture
def staff_directory(committed: Database, clock: FixedClock) -> Database:
    """The API tests' people (tests/data/api/directory.yaml), committed."""
    from workflow import SYSTEM, People, load_directory

    with committed.transaction() as db_session:
        People(db_session).import_directory(
            load_directory(DATA / "api" / "directory.yaml"), now=clock.now(), actor=SYSTEM
        )
    return committed


@pytest.fixture
def make_token(staff_directory: Database, clock: FixedClock) -> Callable[..., dict[str, str]]:
    """``make_token(*scopes, user=None)`` -> the Authorization header of a new token."""
    from workflow import TOKEN_SCOPES, ApiTokens

    def _make(*scopes: str, user: str | None = None) -> dict[str, str]:
        with staff_directory.transaction() as db_session:
            secret, _ = ApiTokens(db_session).create(
                f"test-{uuid.uuid4().hex[:8]}",
                scopes=scopes or TOKEN_SCOPES,
                user=user,
                created_by="tests",
                now=clock.now(),
            )
        return {"Authorization": f"Bearer {secret}"}

    return _make


@pytest.fixture
def approval(staff_directory: Database, engine: Engine) -> str:
    """tests/data/api/approval.yaml registered (committed); returns its key."""
    with staff_directory.transaction() as db_session:
        source = (DATA / "api" / "approval.yaml").read_text(encoding="utf-8")
        return engine.register(db_session, source, path="approval.yaml").key


# -- the browser tests' server and Chromium, shared by every browser test module -----------
from tests.browser_support import browser, signed_in, world  # noqa: E402

__all__ = ["browser", "signed_in", "world"]
