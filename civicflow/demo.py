"""``civicflow demo``: the engine doing its job from the shell.

Migrates the embedded database, imports the demo staff directory, registers the
example definitions, then walks one building permit from intake to its final state:
at every step it shows the inbox of the person about to act, claims the task, acts
on it, and finally prints the instance's audit trail and verifies the chain. The
people are picked from the directory the way a supervisor would: a member of the
task's queue who has not yet acted on the case (so the four-eyes rule holds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

from civicflow import examples
from workflow import SYSTEM, Actor, InstanceView, People, TaskView, load_directory, verify_audit

if TYPE_CHECKING:
    from civicflow.services import Services

Echo = Callable[[str], None]


def run_demo(app: Services, *, echo: Echo, workflow: str = "building-permit") -> InstanceView:
    settings = app.settings
    app.db.upgrade()
    echo(f"database: {app.db.engine.url.render_as_string(hide_password=True)}")
    directory = load_directory(settings.directory_file) if settings.directory_file else None
    with app.db.transaction() as session:
        if directory is not None:
            result = People(session).import_directory(
                directory, now=app.engine.clock.now(), actor=SYSTEM
            )
            echo(
                f"staff directory: {result.users_created + result.users_updated} people in "
                f"{result.queues} queues across {result.departments} departments"
            )
        for file in sorted(settings.definitions_dir.glob("*.yaml")):
            info = app.engine.register(session, file.read_text(encoding="utf-8"), path=str(file))
            echo(
                f"definition {info.key} v{info.version} ({'new' if info.created else 'unchanged'})"
            )
    case = _case(workflow)
    with app.db.transaction() as session:
        starter = People(session).actor(case["started_by"], idp="demo")
        view = app.engine.start(session, workflow=workflow, input=case["input"], actor=starter)
    echo(f"\n{starter.name} starts {workflow} {view.id} for {case['input']}")
    acted: set[str] = {starter.id}
    for _ in range(50):
        if view.status != "running":
            break
        tasks = view.open_tasks()
        if not tasks:  # a wait state: the outside world answers
            event, data = case["events"][view.state]
            with app.db.transaction() as session:
                view = app.engine.signal(
                    session, instance_id=view.id, event=event, actor=SYSTEM, data=data
                )
            echo(f"\n[event] {event} arrives → {view.state}")
            continue
        for task in tasks:
            view = _work(app, echo, case, task, acted)
            if view.state != task.state:
                break
    with app.db.transaction() as session:
        final = app.engine.instance(session, view.id)
        checked, findings = verify_audit(session)
    echo(f"\n{workflow} {final.id} ended in '{final.state}' ({final.status}). Audit trail:")
    for entry in final.history:
        behalf = f" on behalf of {entry.on_behalf_of}" if entry.on_behalf_of else ""
        echo(
            f"  #{entry.seq} {entry.at:%H:%M:%S} {entry.actor} via {entry.actor_idp}{behalf}: "
            f"{entry.action} {entry.state_before or '-'} → {entry.state_after or '-'}"
        )
    verdict = "intact" if not findings else f"{len(findings)} problems"
    echo(f"audit chain: {checked} records, {verdict}")
    return final


def _work(
    app: Services, echo: Echo, case: dict[str, Any], task: TaskView, acted: set[str]
) -> InstanceView:
    step = case["steps"].get(task.branch or task.state, {})
    with app.db.transaction() as session:
        people = People(session)
        members = people.members_of(task.queue)
        email = next((m for m in members if m not in acted), members[0])
        actor: Actor = people.actor(email, idp="demo", mfa=True)
        inbox = app.engine.inbox(session, actor=actor, view="queues")
        echo(f"\n{actor.name}'s inbox ({', '.join(sorted(actor.queues))}):")
        for row in inbox:
            echo(
                f"  - [{row.queue}] {row.title}"
                + (f" (due {row.due_at:%a %d %b})" if row.due_at else "")
            )
        app.engine.claim(session, task_id=task.id, actor=actor)
        action = step.get("action") or task.actions[0]
        view = app.engine.act(
            session, task_id=task.id, action=action, actor=actor, data=step.get("data")
        )
    acted.add(actor.id)
    echo(f"{actor.name} claims '{task.title}' and chooses '{action}' → {view.state}")
    return view


def _case(workflow: str) -> dict[str, Any]:
    cases = yaml.safe_load(examples.CASES.read_text(encoding="utf-8"))
    if workflow not in cases:
        raise KeyError(f"demo/cases.yaml has no case for '{workflow}'")
    case: dict[str, Any] = cases[workflow]
    case.setdefault("steps", {})
    case["events"] = {
        state: (e["event"], e.get("data")) for state, e in case.get("events", {}).items()
    }
    return case
