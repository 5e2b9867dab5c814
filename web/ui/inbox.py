"""The inbox page: four views as tabs, the engine's filters and sorts (saved per
person), cursor pages, and bulk claim/assign/act on the selected rows.

``?fragment=1`` answers only the live part of the page (counts and table): the
script asks for it on every realtime event and after every reconnect, so the page
is always redrawn from the server's answer, never from the script's guesses —
who views each row included (``web.ui.presence``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug import Response
from werkzeug.datastructures import MultiDict

from web.principal import current_principal
from web.ui import bp, context
from web.ui.presence import shown_presence
from web.uow import read_session, services, unit_of_work
from workflow import (
    MAX_BULK,
    SORTS,
    CivicflowError,
    InboxPreferences,
    InboxQuery,
    InvalidDataError,
    bulk,
    queue_counts,
)

# The filter parameters a saved inbox keeps (the cursor is a position, not a choice).
KEPT = ("view", "workflow", "state", "queue", "due_after", "due_before", "field", "sort")
TABS = ("mine", "queues", "overdue", "completed")


def tab_label(view: str) -> str:
    labels: dict[str, str] = {
        "mine": _("My tasks"),
        "queues": _("My queues"),
        "overdue": _("Overdue"),
        "completed": _("Completed by me"),
    }
    return labels[view]


def sort_label(sort: str) -> str:
    labels: dict[str, str] = {
        "due": _("Due date"),
        "created": _("Oldest first"),
        "priority": _("Priority"),
    }
    return labels[sort]


def _day(text: str, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(), tzinfo=UTC)
    except ValueError:
        raise InvalidDataError(_("%(name)s must be a date like 2026-12-31.", name=name)) from None


def _fields(pairs: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for pair in pairs:
        if not pair.strip():
            continue
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidDataError(_("A field filter is written name=value, like zone=commercial."))
        fields[name.strip()] = value.strip()
    return fields


def query_of(args: MultiDict[str, str]) -> InboxQuery:
    return InboxQuery(
        args.get("view") or "mine",
        workflow=args.get("workflow") or None,
        state=args.get("state") or None,
        queue=args.get("queue") or None,
        due_after=_day(args.get("due_after", ""), _("Due from")),
        due_before=_day(args.get("due_before", ""), _("Due before")),
        fields=_fields(args.getlist("field")),
        sort=args.get("sort") or "due",
        cursor=args.get("cursor") or None,
        limit=25,
    )


def _chosen(args: MultiDict[str, str], saved: dict[str, Any]) -> MultiDict[str, str]:
    """The request's choices; the person's saved ones when the request makes none."""
    if any(key in args for key in (*KEPT, "cursor")):
        return args
    chosen: MultiDict[str, str] = MultiDict()
    for key in KEPT:
        value = saved.get(key)
        for item in value if isinstance(value, list) else [value]:
            if item:
                chosen.add(key, str(item))
    return chosen


def link(args: MultiDict[str, str], **changes: str | None) -> str:
    """The inbox URL with ``changes`` applied (None removes a parameter)."""
    merged = MultiDict(args)
    for key, value in changes.items():
        merged.poplist(key)
        if value is not None:
            merged.add(key, value)
    query = urlencode(list(merged.items(multi=True)))
    return url_for("ui.inbox") + (f"?{query}" if query else "")


@bp.get("/")
def home() -> Response:
    return redirect(url_for("ui.inbox"))


@bp.get("/inbox")
def inbox() -> Any:
    principal = current_principal()
    engine = services().engine
    now = engine.clock.now()
    error: str | None = None
    with read_session() as session:
        actor = principal.actor(session)
        args = _chosen(request.args, InboxPreferences(session).get(actor.id))
        try:
            query = query_of(args)
            page = engine.inbox_page(session, actor=actor, query=query)
            items, next_cursor, view = page.items, page.next_cursor, query.view
        except InvalidDataError as refused:
            error, items, next_cursor = refused.message, [], None
            view = args.get("view") or "mine"
            view = view if view in TABS else "mine"
        counts = queue_counts(session, actor.queues)
    values = context(
        actor=actor,
        args=args,
        view=view,
        tabs=TABS,
        tab_label=tab_label,
        sorts=SORTS,
        sort_label=sort_label,
        items=items,
        next_cursor=next_cursor,
        counts=counts,
        error=error,
        now=now,
        link=link,
        max_bulk=MAX_BULK,
        presence=shown_presence([t.id for t in items], actor.id),
    )
    template = "ui/_inbox_live.html" if request.args.get("fragment") else "ui/inbox.html"
    return render_template(template, **values), 400 if error else 200


@bp.post("/inbox/preferences")
def save_preferences() -> Response:
    """Keep the current view, filters and sort as this person's inbox."""
    principal = current_principal()
    settings: dict[str, Any] = {}
    for key in KEPT:
        values = [v for v in request.form.getlist(key) if v]
        if values:
            settings[key] = values if key == "field" else values[0]
    try:
        query_of(MultiDict(settings))  # refuse what the inbox would refuse
    except InvalidDataError as refused:
        flash(refused.message, "error")
        return redirect(url_for("ui.inbox"))
    with unit_of_work() as session:
        actor = principal.actor(session)
        InboxPreferences(session).save(actor.id, settings, now=services().engine.clock.now())
    flash(_("Saved: your inbox opens with these filters."), "success")
    return redirect(link(MultiDict(settings)))


@bp.post("/inbox/bulk")
def bulk_action() -> Response:
    """Claim, assign or act on the selected rows; each task in its own transaction,
    each outcome reported (one refusal does not undo the others)."""
    principal = current_principal()
    back = request.form.get("back") or url_for("ui.inbox")
    if not back.startswith("/"):
        back = url_for("ui.inbox")
    try:
        ids = [uuid.UUID(v) for v in request.form.getlist("task")]
    except ValueError:
        ids = []
    if not ids:
        flash(_("Select at least one task first."), "error")
        return redirect(back)
    operation = request.form.get("operation", "")
    svc = services()
    with read_session() as session:
        actor = principal.actor(session)
    try:
        results = bulk(
            svc.db,
            svc.engine,
            actor=actor,
            operation=operation,
            task_ids=ids[:MAX_BULK],
            action=request.form.get("action") or None,
            assignee=request.form.get("assignee") or None,
            viewer=actor,
        )
    except CivicflowError as refused:
        flash(refused.message, "error")
        return redirect(back)
    done = sum(1 for r in results if r.ok)
    flash(ngettext("%(num)d task done.", "%(num)d tasks done.", done), "success")
    for result in results:
        if not result.ok and result.error:
            flash(
                _(
                    "Task %(task)s: %(why)s",
                    task=str(result.task_id)[:8],
                    why=result.error["message"],
                ),
                "error",
            )
    return redirect(back)
