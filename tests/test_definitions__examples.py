"""The example definitions validate, and each runs end to end as the demo runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.cli import App
from civicflow.config import Settings
from civicflow.demo import run_demo
from workflow.compiler import load_definition, validate_paths
from workflow.store.database import Database

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "definitions").glob("*.yaml"))
FINAL = {"building-permit": "approved", "procurement": "awarded", "foi-request": "released"}


def test_there_are_three_cross_department_examples() -> None:
    specs = [load_definition(path) for path in EXAMPLES]
    assert {s.key for s in specs} == set(FINAL)
    assert all(len(s.departments) >= 3 for s in specs)


def test_every_example_validates() -> None:
    assert validate_paths([ROOT / "definitions"]) == []


@pytest.mark.parametrize("workflow", sorted(FINAL))
def test_example_runs_end_to_end(workflow: str, committed: Database, tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"CIVICFLOW_DATABASE_URL": committed.url, "CIVICFLOW_DATA_DIR": str(tmp_path)}
    )
    lines: list[str] = []
    app = App(settings)
    try:
        final = run_demo(app, echo=lines.append, workflow=workflow)
    finally:
        app.close()
    assert (final.state, final.status) == (FINAL[workflow], "completed")
    assert lines[-1].endswith("intact")
    assert all(t.status != "open" for t in final.tasks)
