"""The example definitions validate, and each runs end to end as the demo runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from civicflow.config import Settings
from civicflow.demo import run_demo
from civicflow.services import Services
from workflow import load_definition, validate_paths
from workflow.language.spec import TaskSpec, WorkflowSpec
from workflow.store.database import Database

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "definitions").glob("*.yaml"))
FINAL = {"building-permit": "approved", "procurement": "awarded", "foi-request": "released"}
DIRECTORY = ROOT / "demo" / "directory.yaml"


def tasks(spec: WorkflowSpec) -> Iterator[tuple[str, TaskSpec]]:
    for state in spec.states.values():
        if state.task is not None:
            yield state.name, state.task
        for branch, task in state.branches.items():
            yield f"{state.name}.{branch}", task


def queues(spec: WorkflowSpec) -> set[str]:
    """Every queue a case of ``spec`` can put work in or escalate to."""
    found = {spec.sla.escalate_to} if spec.sla and spec.sla.escalate_to else set()
    for _, task in tasks(spec):
        found.add(task.queue)
        if task.escalate is not None:
            found.add(task.escalate.to)
    return found


def test_there_are_three_cross_department_examples() -> None:
    specs = [load_definition(path) for path in EXAMPLES]
    assert {s.key for s in specs} == set(FINAL)
    assert all(len(s.departments) >= 3 for s in specs)


def test_every_example_validates() -> None:
    assert validate_paths([ROOT / "definitions"]) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_queue_is_staffed_in_the_demo_directory(path: Path) -> None:
    # The demo directory is written against these examples: a queue nobody is in
    # would leave a demo case stuck with no one able to act.
    directory = yaml.safe_load(DIRECTORY.read_text(encoding="utf-8"))
    staffed = {queue for user in directory["users"] for queue in user["queues"]}
    assert queues(load_definition(path)) - staffed == set()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_task_titles_name_only_required_input(path: Path) -> None:
    # An optional field in a title renders as a blank ("Award: vehicles to ").
    spec = load_definition(path)
    required = set(spec.input.schema.get("required", ())) if spec.input else set()
    optional = {
        (where, field)
        for where, task in tasks(spec)
        for root, field, *_ in task.title.names
        if root == "input" and field not in required
    }
    assert optional == set()


@pytest.mark.parametrize("workflow", sorted(FINAL))
def test_example_runs_end_to_end(workflow: str, committed: Database, tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"CIVICFLOW_DATABASE_URL": committed.url, "CIVICFLOW_DATA_DIR": str(tmp_path)}
    )
    lines: list[str] = []
    app = Services(settings)
    try:
        final = run_demo(app, echo=lines.append, workflow=workflow)
    finally:
        app.close()
    assert (final.state, final.status) == (FINAL[workflow], "completed")
    assert lines[-1].endswith("intact")
    assert all(t.status != "open" for t in final.tasks)
