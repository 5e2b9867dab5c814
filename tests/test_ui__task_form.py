"""The task page's generated form: server-side messages beside the fields, an error
summary, and a completed task when the data is valid."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.ui_support import BEN, as_person, start_inspection, text_of, ui_world

__all__ = ["as_person", "start_inspection", "ui_world"]


def _version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found
    return found.group(1)


def test_the_form_has_a_control_per_field_kind(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    page = text_of(client.get(f"/tasks/{start_inspection()}", headers=as_person(BEN)))
    assert '<input class="usa-input" id="field-notes" name="notes"' in page
    assert 'id="field-visits" name="visits" value="" inputmode="numeric"' in page
    assert 'type="checkbox" id="field-safe" name="safe"' in page
    assert '<select class="usa-select" id="field-zone" name="zone"' in page
    assert '<textarea class="usa-textarea" id="field-issues" name="issues"' in page
    assert [a for a in re.findall(r'name="action" value="(\w+)"', page)] == ["accept", "reject"]


def test_invalid_data_is_explained_beside_each_field(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection()
    ben = as_person(BEN)
    version = _version(text_of(client.get(f"/tasks/{task}", headers=ben)))
    answer = client.post(
        f"/tasks/{task}/act",
        data={"action": "accept", "version": version, "notes": "ok", "visits": "0"},
        headers=ben,
    )
    page = text_of(answer)
    assert answer.status_code == 422
    assert 'id="error-summary"' in page
    assert 'href="#field-notes"' in page and 'href="#field-visits"' in page
    assert 'id="field-visits-error"' in page and "less than the minimum of 1" in page


def test_text_that_is_not_a_number_is_refused_before_the_engine(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection()
    answer = client.post(
        f"/tasks/{task}/act",
        data={"action": "accept", "notes": "fine", "visits": "three"},
        headers=as_person(BEN),
    )
    assert answer.status_code == 422
    assert "Enter a whole number, like 3." in text_of(answer)
    assert 'value="three"' in text_of(answer)  # what they typed is kept


def test_valid_data_completes_the_task(
    client: Any, as_person: Callable[[str], dict[str, str]], start_inspection: Callable[..., str]
) -> None:
    task = start_inspection()
    ben = as_person(BEN)
    answer = client.post(
        f"/tasks/{task}/act",
        data={
            "action": "accept",
            "notes": "all good",
            "visits": "2",
            "safe": "on",
            "zone": "commercial",
            "issues": "loose rail\n\nno exit sign",
        },
        headers=ben,
    )
    assert answer.status_code == 302
    page = text_of(client.get(f"/tasks/{task}", headers=ben))
    assert "Completed: accept by ben@planning.example.gov" in page
