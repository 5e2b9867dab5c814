"""Two people act on one task at the same moment through the API (real threads, each
with its own connection): one 200, one 409, one audit record."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from workflow.store.database import Database
from workflow.store.models import AuditRow

INPUT = {"applicant": "Jo", "address": "1 Main St"}


def test_two_concurrent_acts_one_wins_one_conflicts(
    app: Flask, client: Any, make_token: Callable[..., dict[str, str]], approval: str
) -> None:
    started = client.post(
        "/api/v1/instances", json={"workflow": approval, "input": INPUT}, headers=make_token()
    ).get_json()
    task = uuid.UUID(started["tasks"][0]["id"])
    people = [
        make_token("tasks:act", user="ana@planning.example.gov"),
        make_token("tasks:act", user="ben@planning.example.gov"),
    ]
    barrier = threading.Barrier(len(people))
    answers: list[int] = []

    def act(headers: dict[str, str]) -> None:
        own_client = app.test_client()  # one client, and so one connection, per thread
        barrier.wait()
        response = own_client.post(
            f"/api/v1/tasks/{task}/act", json={"action": "accept"}, headers=headers
        )
        answers.append(response.status_code)

    threads = [threading.Thread(target=act, args=(h,)) for h in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [200, 409]
    database: Database = app.extensions["civicflow.services"].db
    with database.transaction() as session:
        completions = session.scalar(
            select(func.count())
            .select_from(AuditRow)
            .where(AuditRow.task_id == task, AuditRow.action == "task.completed")
        )
    assert completions == 1
