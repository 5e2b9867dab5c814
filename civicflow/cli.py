"""The ``civicflow`` command: validate and draw definitions, migrate, verify the
audit trail, and drive instances from the shell.

Every command that changes data runs as one unit of work (``Database.transaction``):
it commits once at the end or not at all. Errors Civicflow raises on purpose are
printed as one readable message per problem, never as a traceback.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from civicflow.config import Settings
from civicflow.services import Services
from workflow import (
    MAX_LIMIT,
    SORTS,
    TOKEN_SCOPES,
    VIEWS,
    Actor,
    ApiTokens,
    CivicflowError,
    DefinitionError,
    Directory,
    InboxQuery,
    InvalidDataError,
    JobQueue,
    People,
    load_definition,
    load_directory,
    read_definition,
    to_dot,
    to_mermaid,
    validate_paths,
    verify_audit,
)

CLI_ACTOR = Actor(id="cli", name="Command line", idp="cli")


class CivicflowGroup(click.Group):
    """The command group that reports Civicflow's own errors for every command below it.

    An error Civicflow raises on purpose (bad input, a refusal, a broken definition) is
    the user's to fix, so it is printed as readable lines and exits 1; anything else is
    a bug and keeps its traceback. One handler here instead of one per command means a
    new command cannot forget it.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DefinitionError as error:  # file:line:col: error: ... per problem
            for problem in error.problems:
                click.echo(str(problem), err=True)
        except CivicflowError as error:
            click.echo(f"error: {error.message}", err=True)
            for field_error in getattr(error, "errors", ()):
                click.echo(f"  {field_error.path}: {field_error.message}", err=True)
        ctx.exit(1)


pass_app = click.make_pass_decorator(Services)
# Who acts: every command that acts as a person takes the same option.
as_person = click.option(
    "--as", "email", required=True, metavar="EMAIL", help="who acts (their e-mail in the directory)"
)


@click.group(cls=CivicflowGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Civicflow: cross-department approval workflows."""
    try:
        settings = Settings.from_env()
    except ValueError as error:  # a malformed CIVICFLOW_* variable: say which, no traceback
        raise click.UsageError(str(error)) from error
    app = Services(settings)
    ctx.obj = app
    ctx.call_on_close(app.close)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check definitions; print one line per problem (exit 1 if any)."""
    problems = validate_paths(paths)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo("ok", err=True)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid")
def graph(file: Path, fmt: str) -> None:
    """Print the workflow as a Mermaid or Graphviz diagram."""
    spec = load_definition(file)
    click.echo(to_mermaid(spec) if fmt == "mermaid" else to_dot(spec))


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: Services) -> None:
    """Apply migrations (safe to repeat)."""
    app.db.upgrade()
    click.echo(f"database at head: {app.db.engine.url.render_as_string(hide_password=True)}")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@pass_app
def audit_verify(app: Services) -> None:
    """Re-hash the audit chain; name every record that was edited, deleted or moved."""
    with app.db.read() as session:
        checked, findings = verify_audit(session)
    for finding in findings:
        click.echo(f"BROKEN {finding}")
    if findings:
        click.echo(f"{len(findings)} problem(s) in {checked} audit records", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {checked} records")


@main.group()
def definitions() -> None:
    """Workflow definitions in the database."""


@definitions.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_app
def definitions_load(app: Services, paths: tuple[Path, ...]) -> None:
    """Register definition files (default: the definitions directory)."""
    files = _yaml_files(paths or (app.settings.definitions_dir,))
    with app.db.transaction() as session:
        for file in files:
            info = app.engine.register(session, read_definition(file), path=str(file))
            state = "registered" if info.created else "unchanged"
            click.echo(f"{info.key} v{info.version} {state} ({info.content_hash[:12]})")


@definitions.command("list")
@pass_app
def definitions_list(app: Services) -> None:
    with app.db.read() as session:
        for info in app.engine.definitions(session):
            click.echo(f"{info.key:24} v{info.version:<3} {info.content_hash[:12]}  {info.title}")


def _json_option(value: str | None, what: str) -> Any:
    """The JSON an option gives inline or as ``@file``; anything unreadable is an
    ``InvalidDataError`` naming the option (the engine then checks the value)."""
    if value is None:
        return None
    text = _option_file(value[1:], what) if value.startswith("@") else value
    try:
        return json.loads(text)
    except RecursionError as error:
        raise InvalidDataError(f"{what} is nested too deeply to be read") from error
    except ValueError as error:  # bad JSON, or an integer too long to convert
        raise InvalidDataError(f"{what} is not valid JSON: {error}") from error


def _option_file(name: str, what: str) -> str:
    """The UTF-8 text of the file an ``@file`` option names."""
    try:
        data = Path(name).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InvalidDataError(f"{what}: cannot read {name!r}: {reason}") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidDataError(
            f"{what}: {name!r} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); save it as UTF-8"
        ) from error


@main.command()
@click.argument("workflow")
@click.option("--input", "input_json", required=True, help="JSON object, or @file.json")
@as_person
@click.option("--business-key")
@pass_app
def start(
    app: Services, workflow: str, input_json: str, email: str, business_key: str | None
) -> None:
    """Start an instance of WORKFLOW as the person --as."""
    with app.db.transaction() as session:
        actor = app.actor(session, email, idp="cli")
        view = app.engine.start(
            session,
            workflow=workflow,
            input=_json_option(input_json, "--input"),
            actor=actor,
            business_key=business_key,
        )
    click.echo(f"started {view.id} in state {view.state}")
    for task in view.open_tasks():
        click.echo(f"  task {task.id} [{task.queue}] {task.title}")


@main.command()
@as_person
@click.option("--view", type=click.Choice(VIEWS), default="queues", show_default=True)
@click.option("--workflow", help="only this workflow's tasks")
@click.option("--state", help="only tasks in this state")
@click.option("--queue", help="only this queue (one of yours)")
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME=VALUE",
    help="the case's input field NAME equals VALUE, read as JSON when it is JSON "
    "(120, true, '\"007\"') and as text otherwise; repeat for several",
)
@click.option("--due-after", metavar="TIME", help="due at or after (ISO 8601; UTC if no zone)")
@click.option("--due-before", metavar="TIME", help="due before (ISO 8601; UTC if no zone)")
@click.option("--sort", type=click.Choice(SORTS), default="due", show_default=True)
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=50, show_default=True)
@click.option("--cursor", help="the next-page cursor a previous listing printed")
@pass_app
def inbox(
    app: Services,
    email: str,
    view: str,
    workflow: str | None,
    state: str | None,
    queue: str | None,
    fields: tuple[str, ...],
    due_after: str | None,
    due_before: str | None,
    sort: str,
    limit: int,
    cursor: str | None,
) -> None:
    """List a person's tasks: one page of an inbox view, filtered and sorted."""
    query = InboxQuery(
        view,
        workflow=workflow,
        state=state,
        queue=queue,
        fields=dict(_field(text) for text in fields),
        due_after=_moment("--due-after", due_after),
        due_before=_moment("--due-before", due_before),
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    with app.db.read() as session:
        actor = app.actor(session, email, idp="cli")
        page = app.engine.inbox_page(session, actor=actor, query=query)
    for task in page.items:
        due = task.due_at.strftime("%Y-%m-%d") if task.due_at else "-"
        who = task.assignee or "unclaimed"
        click.echo(f"{task.id}  {task.queue:22} due {due}  {who:28} {task.title}")
    click.echo(f"{len(page.items)} task(s)", err=True)
    if page.next_cursor:
        click.echo(f"more: add --cursor {page.next_cursor}", err=True)


def _field(text: str) -> tuple[str, Any]:
    name, equals, raw = text.partition("=")
    if not equals or not name:
        raise click.BadParameter(f"{text!r} is not NAME=VALUE", param_hint="--field")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name, value


def _moment(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2026-12-21 or 2026-12-21T09:00)",
            param_hint=option,
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@main.command()
@click.argument("task_id", type=click.UUID)
@click.argument("action")
@as_person
@click.option("--data", "data_json", help="form data: JSON object, or @file.json")
@click.option("--mfa/--no-mfa", default=False, help="act as if the sign-in asserted MFA")
@pass_app
def act(
    app: Services, task_id: uuid.UUID, action: str, email: str, data_json: str | None, mfa: bool
) -> None:
    """Complete a task with ACTION."""
    with app.db.transaction() as session:
        actor = app.actor(session, email, idp="cli", mfa=mfa)
        view = app.engine.act(
            session,
            task_id=task_id,
            action=action,
            actor=actor,
            data=_json_option(data_json, "--data"),
        )
    click.echo(f"{view.id} is now in state {view.state} ({view.status})")


@main.command()
@click.argument("task_id", type=click.UUID)
@as_person
@pass_app
def claim(app: Services, task_id: uuid.UUID, email: str) -> None:
    """Claim a task from a shared queue."""
    with app.db.transaction() as session:
        task = app.engine.claim(
            session, task_id=task_id, actor=app.actor(session, email, idp="cli")
        )
    click.echo(f"{task.id} claimed by {task.assignee}")


@main.command()
@click.argument("instance_id", type=click.UUID)
@click.argument("event")
@click.option("--data", "data_json")
@pass_app
def signal(app: Services, instance_id: uuid.UUID, event: str, data_json: str | None) -> None:
    """Deliver EVENT to an instance waiting for it."""
    actor = CLI_ACTOR
    with app.db.transaction() as session:
        view = app.engine.signal(
            session,
            instance_id=instance_id,
            event=event,
            actor=actor,
            data=_json_option(data_json, "--data"),
        )
    click.echo(f"{view.id} is now in state {view.state} ({view.status})")


@main.command()
@click.argument("instance_id", type=click.UUID)
@pass_app
def show(app: Services, instance_id: uuid.UUID) -> None:
    """An instance: state, tasks and audit trail."""
    with app.db.read() as session:
        view = app.engine.instance(session, instance_id)
    click.echo(f"{view.workflow} v{view.definition_version}  {view.id}")
    click.echo(f"state: {view.state} ({view.status})")
    for task in view.tasks:
        click.echo(
            f"  task {task.status:9} {task.state}{'/' + task.branch if task.branch else ''}"
            f" [{task.queue}] {task.outcome or ''} {task.completed_by or ''}"
        )
    click.echo("audit:")
    for entry in view.history:
        behalf = f" on behalf of {entry.on_behalf_of}" if entry.on_behalf_of else ""
        click.echo(
            f"  #{entry.seq} {entry.at:%Y-%m-%d %H:%M:%S} {entry.actor} ({entry.actor_idp}){behalf}"
            f" {entry.action} {entry.state_before or '-'} -> {entry.state_after or '-'}"
        )


@main.group()
def users() -> None:
    """People, queues and absences."""


@users.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@pass_app
def users_import(app: Services, file: Path) -> None:
    """Create or update people and queues from a directory file (safe to repeat)."""
    directory = load_directory(file)
    with app.db.transaction() as session:
        result = People(session).import_directory(
            directory, now=app.engine.clock.now(), actor=CLI_ACTOR
        )
    click.echo(
        f"{result.departments} departments, {result.queues} queues, "
        f"{result.users_created} people created, {result.users_updated} updated"
    )


@users.command("away")
@click.argument("email")
@click.option("--substitute", required=True, help="who works their tasks meanwhile")
@click.option("--from", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--until", "ends_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@pass_app
def users_away(app: Services, email: str, substitute: str, starts_on: Any, ends_on: Any) -> None:
    """Record an absence: SUBSTITUTE acts on EMAIL's tasks on their behalf."""
    with app.db.transaction() as session:
        People(session).set_substitute(
            user=email,
            substitute=substitute,
            starts_on=starts_on.date(),
            ends_on=ends_on.date(),
            actor=CLI_ACTOR,
            now=app.engine.clock.now(),
        )
    click.echo(
        f"{substitute} substitutes for {email} from {starts_on:%Y-%m-%d} to {ends_on:%Y-%m-%d}"
    )


@main.command()
@click.argument("task_id", type=click.UUID)
@click.argument("assignee")
@as_person
@pass_app
def assign(app: Services, task_id: uuid.UUID, assignee: str, email: str) -> None:
    """Assign a task to a member of its queue (--as a lead of that queue)."""
    with app.db.transaction() as session:
        task = app.engine.assign(
            session, task_id=task_id, assignee=assignee, actor=app.actor(session, email, idp="cli")
        )
    click.echo(f"{task.id} assigned to {task.assignee}")


@main.command()
@click.argument("task_id", type=click.UUID)
@click.argument("to")
@as_person
@pass_app
def delegate(app: Services, task_id: uuid.UUID, to: str, email: str) -> None:
    """Let TO act on a task on the assignee's behalf."""
    with app.db.transaction() as session:
        task = app.engine.delegate(
            session, task_id=task_id, to=to, actor=app.actor(session, email, idp="cli")
        )
    click.echo(f"{task.id} delegated to {to}")


@main.command()
@click.argument("instance_id", type=click.UUID)
@click.argument("body")
@as_person
@click.option("--task", "task_id", type=click.UUID)
@pass_app
def comment(
    app: Services, instance_id: uuid.UUID, body: str, email: str, task_id: uuid.UUID | None
) -> None:
    """Comment on an instance (mention people as @name@agency.gov)."""
    with app.db.transaction() as session:
        result = app.engine.comment(
            session,
            instance_id=instance_id,
            task_id=task_id,
            body=body,
            actor=app.actor(session, email, idp="cli"),
        )
    click.echo(
        f"comment {result.id}"
        + (f" mentions {', '.join(result.mentions)}" if result.mentions else "")
    )


@main.command()
@click.option(
    "--workflow",
    type=click.Choice(["building-permit", "procurement", "foi-request"]),
    default="building-permit",
)
@pass_app
def demo(app: Services, workflow: str) -> None:
    """Migrate, load the example definitions and walk one case through."""
    from civicflow.demo import run_demo

    run_demo(app, echo=click.echo, workflow=workflow)


@main.command()
@click.option("--once", is_flag=True, help="Process what is due now, then exit.")
@click.option("--name", help="This worker's name in job leases (default: host:pid).")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Idle poll seconds.")
@click.option("--lease", type=float, default=60.0, show_default=True, help="Claim seconds.")
@pass_app
def worker(app: Services, once: bool, name: str | None, poll: float, lease: float) -> None:
    """Fire due timers (deadlines, reminders, escalations, wait timeouts); send e-mail."""
    from datetime import timedelta

    from civicflow.worker import run_worker
    from web.realtime import emitter

    live = emitter(app.settings)  # the live inbox hears this worker's changes via Redis
    if live is not None:
        app.db.on_commit(live.publish)
    run_worker(
        app.db,
        app.engine,
        app.settings,
        once=once,
        name=name,
        poll=poll,
        lease=timedelta(seconds=lease),
        echo=click.echo,
    )


# -- jobs: failed timers, listed and queued again ---------------------------------------


@main.group()
def jobs() -> None:
    """Timers the worker gave up on: list them, queue them again."""


@jobs.command("failed")
@click.option("--limit", type=click.IntRange(1, 10_000), default=1000, show_default=True)
@pass_app
def jobs_failed(app: Services, limit: int) -> None:
    """List failed jobs: id, kind, instance/task, attempts, last error."""
    with app.db.transaction() as session:
        failed = JobQueue(session).failed(limit=limit)
    for job in failed:
        target = f"{job.instance_id or '-'}" + (f"/{job.task_id}" if job.task_id else "")
        click.echo(f"{job.id}\t{job.kind}\t{target}\t{job.attempts} attempt(s)\t{job.error}")
    click.echo(f"{len(failed)} failed job(s)", err=True)


@jobs.command("retry")
@click.argument("ids", nargs=-1, type=click.IntRange(min=1))
@click.option("--all", "every", is_flag=True, help="Every failed job.")
@pass_app
def jobs_retry(app: Services, ids: tuple[int, ...], every: bool) -> None:
    """Queue failed jobs again (due now, with fresh attempts): IDS, or --all."""
    if bool(ids) == every:
        raise click.UsageError("give the ids of failed jobs, or --all")
    with app.db.transaction() as session:
        queued = JobQueue(session).retry(None if every else ids, app.engine.clock.now())
    listed = f": {', '.join(map(str, queued))}" if queued else ""
    click.echo(f"{len(queued)} job(s) queued again{listed}")


# -- outbound webhook subscriptions (docs/webhooks.md) --------------------------------------


@main.group()
def webhooks() -> None:
    """Outbound webhook subscriptions and their delivery log."""


@webhooks.command("list")
@pass_app
def webhooks_list(app: Services) -> None:
    """Every subscription: id, state, events and URL."""
    from workflow import WebhookStore

    with app.db.transaction() as session:
        subscriptions = WebhookStore(session).subscriptions()
    for sub in subscriptions:
        state = "active" if sub.active else f"disabled ({sub.disabled_reason})"
        click.echo(f"{sub.id}  {state}  {','.join(sub.events)}  {sub.url}")


@webhooks.command("create")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True, help="task.created, task.*, *")
@click.option("--secret", help="A whsec_ secret (default: a new one, printed once).")
@click.option("--description", default="", help="What the receiver is.")
@pass_app
def webhooks_create(
    app: Services, url: str, events: tuple[str, ...], secret: str | None, description: str
) -> None:
    """Subscribe URL to events; print its id and secret (shown only now)."""
    from integrations.outbound import create_subscription

    with app.db.transaction() as session:
        view, secret = create_subscription(
            session,
            url=url,
            events=list(events),
            secret=secret,
            description=description,
            now=app.engine.clock.now(),
        )
    click.echo(f"id: {view.id}")
    click.echo(f"secret: {secret}")
    click.echo("store the secret now: it is not shown again", err=True)


@webhooks.command("delete")
@click.argument("subscription", type=click.UUID)
@pass_app
def webhooks_delete(app: Services, subscription: uuid.UUID) -> None:
    """Delete a subscription and its delivery log."""
    from workflow import WebhookStore

    with app.db.transaction() as session:
        WebhookStore(session).delete_subscription(subscription)
    click.echo(f"deleted {subscription}")


@webhooks.command("deliveries")
@click.argument("subscription", type=click.UUID)
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@pass_app
def webhooks_deliveries(app: Services, subscription: uuid.UUID, limit: int) -> None:
    """The subscription's deliveries, newest first, with every attempt."""
    from workflow import WebhookStore

    with app.db.transaction() as session:
        deliveries = WebhookStore(session).deliveries(subscription, limit=limit)
    for d in deliveries:
        click.echo(f"{d.id}  {d.status}  {d.event_type}  {d.message_id}  attempts={d.attempts}")
        for a in d.log:
            outcome = a.status if a.status is not None else a.error
            click.echo(f"    {a.at.isoformat()}  {outcome}  {a.duration_ms} ms")


@webhooks.command("redeliver")
@click.argument("subscription", type=click.UUID)
@click.argument("delivery", type=int)
@pass_app
def webhooks_redeliver(app: Services, subscription: uuid.UUID, delivery: int) -> None:
    """Send a delivery again (same webhook-id) on the worker's next round."""
    from workflow import WebhookStore

    with app.db.transaction() as session:
        view = WebhookStore(session).redeliver(subscription, delivery, app.engine.clock.now())
    click.echo(f"delivery {view.id} queued again ({view.message_id})")


def _yaml_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    return files


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--no-worker", is_flag=True, help="Run no worker in-process (run `civicflow worker`)."
)
@click.option("--no-dev-idp", is_flag=True, help="Without CIVICFLOW_IDP_CONFIG, no sign-in.")
@click.option("--dev-idp-host", default="127.0.0.1", show_default=True)
@click.option("--dev-idp-port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option("--force-dev-idp", is_flag=True, help="Let the dev provider listen beyond loopback.")
@pass_app
def serve(
    app: Services,
    host: str,
    port: int,
    no_worker: bool,
    no_dev_idp: bool,
    dev_idp_host: str,
    dev_idp_port: int,
    force_dev_idp: bool,
) -> None:
    """Run the web app (and one worker): migrates, registers definitions, imports the
    demo directory into an empty database, then serves until Ctrl-C. On embedded
    defaults (no CIVICFLOW_IDP_CONFIG) people sign in through the built-in development
    identity provider on its own loopback port."""
    from civicflow.loopback import check_bind

    dev_idp = app.settings.idp_config is None and not no_dev_idp
    if dev_idp:
        check_bind(dev_idp_host, force=force_dev_idp)  # before anything listens

    from gevent import monkey

    # gevent next, before importing web/: its HTTP client (requests, urllib3) must bind
    # the patched ssl and socket, or a provider's TLS handshake would block every request
    monkey.patch_all()

    import logging

    from web import create_app
    from web.server import bootstrap
    from web.server import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)  # a line per state callback
    bootstrap(app, echo=click.echo)
    settings = app.settings
    if dev_idp:
        settings = replace(settings, dev_idp=True, dev_idp_port=dev_idp_port)
        _start_dev_idp(
            settings, host=dev_idp_host, port=dev_idp_port, rp_port=port, force=force_dev_idp
        )
    run_server(
        create_app(settings, services=app),
        app,
        host=host,
        port=port,
        worker=not no_worker,
        echo=click.echo,
    )


def _start_dev_idp(settings: Settings, *, host: str, port: int, rp_port: int, force: bool) -> None:
    """The built-in development provider on its own port, beside the app (gevent)."""
    from web.auth.devidp import create_dev_provider
    from web.server import make_server

    directory = (
        load_directory(settings.directory_file)
        if settings.directory_file is not None and settings.directory_file.exists()
        else Directory(departments={}, users={})
    )
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    provider = create_dev_provider(
        issuer=f"http://{shown}:{port}",
        directory=directory,
        secret_key=settings.secret_key,
        redirect_uris=[
            f"http://{name}:{rp_port}/auth/callback/dev" for name in ("127.0.0.1", "localhost")
        ],
        force=force,
    )
    make_server(provider, host, port).start()
    click.secho(
        f"DEVELOPMENT identity provider on http://{shown}:{port}/ — anyone who reaches it "
        "can sign in as anyone; set CIVICFLOW_IDP_CONFIG for real sign-in",
        fg="yellow",
        bold=True,
        err=True,
    )


@main.group()
def token() -> None:
    """API tokens (stored hashed; the secret is printed once)."""


@token.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(TOKEN_SCOPES),
    help="what the token may do; repeat for several",
)
@click.option("--user", "email", help="act for this person (bound by their queues)")
@pass_app
def token_create(app: Services, name: str, scopes: tuple[str, ...], email: str | None) -> None:
    """Create a token and print its secret (shown only now)."""
    with app.db.transaction() as session:
        secret, info = ApiTokens(session).create(
            name, scopes=scopes, user=email, created_by=CLI_ACTOR.id, now=app.engine.clock.now()
        )
    click.echo(secret)
    click.echo(
        f"token {info.name} ({info.id}) scopes {' '.join(info.scopes)}"
        + (f" acting for {info.user}" if info.user else "")
        + ": store the secret now, it is not shown again",
        err=True,
    )


@token.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="include revoked tokens")
@pass_app
def token_list(app: Services, include_revoked: bool) -> None:
    """Tokens: name, id, prefix, scopes, user, last use."""
    with app.db.transaction() as session:
        tokens = ApiTokens(session).all(include_revoked=include_revoked)
    for info in tokens:
        used = f"{info.last_used_at:%Y-%m-%d %H:%M}" if info.last_used_at else "never"
        state = " REVOKED" if info.revoked_at else ""
        click.echo(
            f"{info.name:24} {info.id} {info.prefix}…  {' '.join(info.scopes)}  "
            f"user={info.user or '-'} last used {used}{state}"
        )


@token.command("revoke")
@click.argument("name_or_id")
@pass_app
def token_revoke(app: Services, name_or_id: str) -> None:
    """Revoke a token by name (every live token of that name) or id."""
    with app.db.transaction() as session:
        revoked = ApiTokens(session).revoke(name_or_id, now=app.engine.clock.now())
    for info in revoked:
        click.echo(f"revoked {info.name} ({info.id})")
