"""Absences through the API: a person's token records their own, not another's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ABSENCE = {
    "substitute": "ben@planning.example.gov",
    "starts_on": "2026-03-02",
    "ends_on": "2026-03-06",
}


def test_a_person_records_their_own_absence(
    client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    ana = make_token("tasks:act", user="ana@planning.example.gov")
    response = client.post(
        "/api/v1/people/ana@planning.example.gov/absences", json=ABSENCE, headers=ana
    )
    assert response.status_code == 201
    assert response.get_json()["substitute"] == "ben@planning.example.gov"
    cleared = client.delete("/api/v1/people/ana@planning.example.gov/absences", headers=ana)
    assert cleared.status_code == 200


def test_a_person_cannot_record_anothers_absence(
    client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    sam = make_token("tasks:act", user="sam@fire.example.gov")
    response = client.post(
        "/api/v1/people/ana@planning.example.gov/absences", json=ABSENCE, headers=sam
    )
    assert response.status_code == 403


def test_an_absence_ending_before_it_starts_is_422(
    client: Any, make_token: Callable[..., dict[str, str]]
) -> None:
    ana = make_token("tasks:act", user="ana@planning.example.gov")
    backwards = {**ABSENCE, "ends_on": "2026-03-01"}
    response = client.post(
        "/api/v1/people/ana@planning.example.gov/absences", json=backwards, headers=ana
    )
    assert response.status_code == 422
