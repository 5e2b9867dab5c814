"""The task page: the case, a form generated from the state's JSON Schema, one
button per action, comments, attachments, the timeline and the diagram.

Every refusal renders this page again — with the engine's message in an alert, the
field messages beside their fields, and the task as it is *now* — never an error
page: a stale action (someone acted first) shows the fresh state and says so.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.files import attachment_store, download
from web.principal import current_principal
from web.ui import bp, context
from web.ui.forms import Field, fields_of, parse_submission
from web.ui.presence import shown_presence
from web.ui.stepup import needs_step_up, offered, step_up_url, to_step_up
from web.uow import read_session, services, unit_of_work
from workflow import (
    AttachmentStore,
    CivicflowError,
    ConflictError,
    ForbiddenError,
    InvalidDataError,
    NotFoundError,
    StoredContentError,
    TaskPermissions,
    WorkflowSpec,
    case_attachments,
    case_comments,
    compile_definition,
    definition_source,
    find_instance,
    find_task,
    open_attachment,
    to_mermaid,
)

SPECS = "civicflow.ui.specs"

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())


def _spec(session: Any, workflow: str, version: int) -> WorkflowSpec:
    """The compiled definition an instance is pinned to (compiled once per app)."""
    cache: dict[tuple[str, int], WorkflowSpec] = current_app.extensions.setdefault(SPECS, {})
    key = (workflow, version)
    if key not in cache:
        source = definition_source(session, workflow, version)
        cache[key] = compile_definition(source, f"{workflow}.yaml")
    return cache[key]


def diagram(spec: WorkflowSpec, state: str) -> str:
    """Mermaid text with the current state highlighted (and named for the text view)."""
    node = "s_" + "".join(c if c.isalnum() or c == "_" else "_" for c in state)
    return (
        to_mermaid(spec).rstrip()
        + "\n    classDef current fill:#ffbe2e,color:#1b1b1b,stroke:#1b1b1b,stroke-width:4px"
        + f"\n    class {node} current\n"
    )


def _files(settings: Any) -> AttachmentStore:
    # below the app's request-size limit, so the engine's own check names the limit
    return attachment_store(settings, max_bytes=900 * 1024)


def task_id_of(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        abort(404)


def size_text(size: int) -> str:
    """A file size as a person reads it (the exact byte count below 1 KB)."""
    if size < 1024:
        return str(_("%(count)s bytes", count=size))
    if size < 1024 * 1024:
        return str(_("%(size).1f KB", size=size / 1024))
    return str(_("%(size).1f MB", size=size / (1024 * 1024)))


def render_task(
    task_id: uuid.UUID,
    *,
    status: int = 200,
    alert: tuple[str, str] | None = None,
    values: dict[str, Any] | None = None,
    field_errors: dict[str, str] | None = None,
) -> Any:
    principal = current_principal()
    engine = services().engine
    with read_session() as session:
        actor = principal.actor(session)
        try:
            task = find_task(session, task_id, viewer=actor)
        except NotFoundError:
            return render_template("ui/not_found.html", **context()), 404
        instance = find_instance(session, task.instance_id, viewer=actor, history=True)
        spec = _spec(session, instance.workflow, instance.definition_version)
        task_spec = spec.task_spec(task.state, task.branch)
        comments = case_comments(session, instance.id)
        attachments = [
            {**a, "size_text": size_text(a["size"])} for a in case_attachments(session, instance.id)
        ]
        permissions = engine.permissions(session, task_id=task.id, actor=actor)
    actions, step_up = offered(principal, permissions)
    fields = fields_of(task_spec.form.schema if task_spec.form else None, values)
    errors = field_errors or {}
    summary: list[tuple[Field | None, str]] = [
        (f, errors[f.pointer]) for f in fields if f.pointer in errors
    ]
    summary += [(None, m) for p, m in errors.items() if p not in {f.pointer for f in fields}]
    page = render_template(
        "ui/task.html",
        **context(
            actor=actor,
            task=task,
            instance=instance,
            fields=fields,
            field_errors=errors,
            error_summary=summary,
            alert=alert,
            may=_may(permissions) | {"act": bool(actions)},
            allowed_actions=actions,
            step_up=step_up,
            act_refusal=next((r.message for r in permissions.actions.values() if r), None),
            description=task_spec.description,
            diagram=diagram(spec, instance.state),
            comments=comments,
            attachments=attachments,
            now=engine.clock.now(),
            presence=shown_presence([task.id], actor.id).get(str(task.id)),
        ),
    )
    return page, status


def _may(permissions: TaskPermissions) -> dict[str, bool]:
    """Which forms to offer: what the engine says this person may do now (the same
    rules its commands apply when the button is pressed)."""
    return {
        "act": any(refusal is None for refusal in permissions.actions.values()),
        "claim": permissions.may("claim"),
        "unclaim": permissions.may("unclaim"),
    }


@bp.get("/tasks/<task_id>")
def task_page(task_id: str) -> Any:
    return render_task(task_id_of(task_id))


def refused_page(task_id: uuid.UUID, error: CivicflowError, **kept: Any) -> Any:
    conversion = kept.pop("conversion", {})
    if isinstance(error, ConflictError):
        message = _(
            "Someone else changed this task before you did, so nothing was saved. "
            "This is the task as it is now."
        )  # the person's entries stay in the form, if the task still has one
        return render_task(task_id, status=409, alert=("warning", message), **kept)
    if isinstance(error, InvalidDataError):
        errors = {e.path: e.message for e in error.errors} or {"/": error.message}
        errors.update(conversion)
        return render_task(task_id, status=422, field_errors=errors, **kept)
    status = 403 if isinstance(error, ForbiddenError) else 404
    return render_task(task_id, status=status, alert=("error", error.message), **kept)


@bp.post("/tasks/<task_id>/act")
def act(task_id: str) -> Any:
    ident = task_id_of(task_id)
    principal = current_principal()
    action = request.form.get("action", "")
    try:
        expected = int(request.form.get("version", ""))
    except ValueError:
        expected = None
    with read_session() as session:
        actor = principal.actor(session)
        try:
            task = find_task(session, ident, viewer=actor)
        except NotFoundError:
            return render_template("ui/not_found.html", **context()), 404
        instance = find_instance(session, task.instance_id, viewer=actor, history=False)
        form = _spec(session, instance.workflow, instance.definition_version).task_spec(
            task.state, task.branch
        )
    fields: list[Field] = fields_of(form.form.schema if form.form else None)
    data, conversion, shown = parse_submission(fields, request.form)
    if conversion:
        return render_task(ident, status=422, field_errors=conversion, values=shown)
    step_up: str | None = None
    try:
        with unit_of_work() as session:
            try:
                with services().db.savepoint(session):  # a refusal leaves it usable
                    services().engine.act(
                        session,
                        task_id=ident,
                        action=action,
                        actor=principal.actor(session),
                        data=data,
                        expected_version=expected,
                    )
            except CivicflowError as error:
                if not needs_step_up(principal, error):
                    raise
                step_up = step_up_url(
                    session,
                    principal,
                    task_id=ident,
                    version=expected,
                    action=action,
                    data=data,
                    shown=shown,
                )
    except CivicflowError as error:
        return refused_page(ident, error, values=shown)
    if step_up is not None:  # kept (committed): now the provider asks for MFA
        return to_step_up(step_up)
    flash(_("Done: “%(title)s” — %(action)s.", title=task.title, action=action), "success")
    return redirect(url_for("ui.inbox"))


def _teamwork(task_id: str, command: str) -> Any:
    ident = task_id_of(task_id)
    principal = current_principal()
    try:
        expected = int(request.form.get("version", ""))
    except ValueError:
        expected = None
    try:
        with unit_of_work() as session:
            engine = services().engine
            actor = principal.actor(session)
            task = find_task(session, ident, viewer=actor)
            if expected is not None and task.version != expected:
                raise ConflictError("the task changed", task=str(ident))
            getattr(engine, command)(session, task_id=ident, actor=actor)
    except CivicflowError as error:
        return refused_page(ident, error)
    flash(
        _("You hold this task now.") if command == "claim" else _("Back in the queue."), "success"
    )
    return redirect(url_for("ui.task_page", task_id=task_id))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Any:
    return _teamwork(task_id, "claim")


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Any:
    return _teamwork(task_id, "unclaim")


@bp.post("/tasks/<task_id>/comments")
def comment(task_id: str) -> Any:
    ident = task_id_of(task_id)
    principal = current_principal()
    try:
        with unit_of_work() as session:
            actor = principal.actor(session)
            task = find_task(session, ident, viewer=actor)
            services().engine.comment(
                session,
                instance_id=task.instance_id,
                task_id=ident,
                body=request.form.get("body", ""),
                actor=actor,
            )
    except CivicflowError as error:
        return render_task(ident, status=422, alert=("error", error.message))
    flash(_("Comment added."), "success")
    return redirect(url_for("ui.task_page", task_id=task_id) + "#comments")


@bp.post("/tasks/<task_id>/attachments")
def attach(task_id: str) -> Any:
    ident = task_id_of(task_id)
    principal = current_principal()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_task(ident, status=422, alert=("error", _("Choose a file to attach.")))
    content = upload.read()
    try:
        with unit_of_work() as session:
            actor = principal.actor(session)
            task = find_task(session, ident, viewer=actor)
            services().engine.attach(
                session,
                instance_id=task.instance_id,
                task_id=ident,
                filename=upload.filename,
                content_type=(upload.mimetype or "application/octet-stream"),
                content=content,
                files=_files(services().settings),
                actor=actor,
            )
    except CivicflowError as error:
        return render_task(ident, status=422, alert=("error", error.message))
    flash(_("File attached."), "success")
    return redirect(url_for("ui.task_page", task_id=task_id) + "#attachments")


@bp.get("/tasks/<task_id>/attachments/<attachment_id>")
def download_attachment(task_id: str, attachment_id: str) -> Any:
    """A file of the task's case, as a download (``web.files.download``). Outside the
    viewer's departments it is "not found", like a task or file that does not exist;
    a file whose stored bytes are damaged re-renders the task with a 500 that says
    so — nothing is sent, and the server log names the file."""
    try:
        ident, wanted = uuid.UUID(task_id), uuid.UUID(attachment_id)
    except ValueError:
        return render_template("ui/not_found.html", **context()), 404
    principal = current_principal()
    with read_session() as session:
        actor = principal.actor(session)
        try:
            task = find_task(session, ident, viewer=actor)
            opened = open_attachment(
                session,
                attachment_store(services().settings),
                instance_id=task.instance_id,
                attachment_id=wanted,
                viewer=actor,
            )
        except NotFoundError:
            return render_template("ui/not_found.html", **context()), 404
        except StoredContentError as error:
            log.error("stored content damaged: %s %s", error.message, error.context)
            opened = None
    if opened is None:
        message = _(
            "This file cannot be downloaded: its stored copy is missing or damaged, so "
            "nothing was sent. The problem was logged; ask an administrator to restore "
            "the file from a backup."
        )
        return render_task(ident, status=500, alert=("error", message))
    return download(opened)
