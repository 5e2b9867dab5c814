"""Step-up in the middle of a task action, so nobody loses what they typed.

A person whose session lacks MFA presses an action on an ``assurance: mfa`` task.
The engine refuses with ``needs_mfa``; instead of showing the refusal, the page
keeps the submission server-side (``PendingActions``: bound to this sign-in
session, the task, the version the person saw, the action and the form data;
single-use; ten minutes) and sends the browser to ``/auth/step-up`` with the resume
URL as ``next``. The resume route (``web.ui.resume``) replays the action once
through the engine. Plain redirects only: it works without JavaScript.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from flask import redirect, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from web.principal import Principal
from web.uow import services
from workflow import CivicflowError, PendingAction, PendingActions, Reason, TaskPermissions

__all__ = ["needs_step_up", "offered", "step_up_url", "to_step_up"]


def needs_step_up(principal: Principal, error: CivicflowError) -> bool:
    """Whether only MFA stood in the way and a step-up can give it: the engine's
    refusal says ``needs_mfa`` (it checks MFA last, so nothing else refused) and
    the caller is a signed-in person (API tokens never have MFA)."""
    return principal.kind == "session" and error.context.get("reason") == Reason.NEEDS_MFA.value


def offered(principal: Principal, permissions: TaskPermissions) -> tuple[list[str], bool]:
    """The action buttons to show, and whether pressing one first asks for MFA: the
    allowed actions, or — when the engine refuses them only for want of MFA and a
    step-up can give it — those actions anyway."""
    allowed = [a for a, refusal in permissions.actions.items() if refusal is None]
    if allowed or principal.kind != "session":
        return allowed, False
    stepping = [
        a
        for a, refusal in permissions.actions.items()
        if refusal is not None and refusal.reason is Reason.NEEDS_MFA
    ]
    return stepping, bool(stepping)


def step_up_url(
    session: Session,
    principal: Principal,
    *,
    task_id: uuid.UUID,
    version: int | None,
    action: str,
    data: dict[str, Any],
    shown: dict[str, Any],
) -> str:
    """Keep the submission for this sign-in session (in the request's unit of work)
    and say where to send the person: the step-up, returning to the resume URL
    whether it succeeds or not."""
    kept = PendingAction(
        task_id=task_id, task_version=version, action=action, data=data, shown=shown
    )
    token = PendingActions(session).keep(principal.id, kept, now=services().engine.clock.now())
    resume = url_for("ui.resume", task_id=str(task_id), token=token)
    return url_for("auth.step_up") + "?" + urlencode({"next": resume, "on_failure": "return"})


def to_step_up(url: str) -> Response:
    response = redirect(url, 303)
    response.headers["Cache-Control"] = "no-store"
    return response
