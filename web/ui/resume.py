"""Where a step-up started by a task action returns (``web.ui.stepup``): the kept
action is replayed once through the engine, as the person pressed it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from web.principal import current_principal
from web.ui import bp
from web.ui.stepup import needs_step_up
from web.ui.tasks import refused_page, render_task, task_id_of
from web.uow import services, unit_of_work
from workflow import CivicflowError, PendingActions

__all__ = ["resume"]


@bp.get("/tasks/<task_id>/resume/<token>")
def resume(task_id: str, token: str) -> Any:
    """Where a step-up returns: replay the kept action once, as the person pressed it
    (same version check, so a task changed meanwhile shows the usual stale page).
    Only the session that kept it can take it; a second visit finds nothing."""
    ident = task_id_of(task_id)
    principal = current_principal()
    engine = services().engine
    refused: CivicflowError | None = None
    with unit_of_work() as session:
        # taken in the outer transaction, so it is gone even when the replay is
        # refused; a concurrent second take waits for this one and finds nothing
        kept = PendingActions(session).take(
            token, session_id=principal.id, task_id=ident, now=engine.clock.now()
        )
        if kept is not None:
            try:
                with services().db.savepoint(session):
                    engine.act(
                        session,
                        task_id=ident,
                        action=kept.action,
                        actor=principal.actor(session),
                        data=kept.data,
                        expected_version=kept.task_version,
                    )
            except CivicflowError as error:
                refused = error
    if kept is None:
        message = _(
            "There is no action waiting to be finished here: it was finished already, "
            "it expired after ten minutes, or it was started in another sign-in. "
            "Nothing was saved by this visit."
        )
        return render_task(ident, status=410, alert=("error", message))
    if refused is not None and needs_step_up(principal, refused):
        message = _(
            "Your identity was not confirmed with a second factor, so nothing was "
            "saved. Your entries are below: press the button again to try again."
        )
        return render_task(ident, status=403, alert=("error", message), values=kept.shown)
    if refused is not None:
        return refused_page(ident, refused, values=kept.shown)
    flash(
        _("Done: %(action)s, confirmed with your second factor.", action=kept.action),
        "success",
    )
    return redirect(url_for("ui.task_page", task_id=task_id), 303)
