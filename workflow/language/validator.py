"""Validation of a loaded definition: every problem at once, never a traceback.

A process owner should fix a definition in one pass, so nothing here stops at the
first mistake: each mapping is checked on its own (``workflow.language.validator_states`` for
states and tasks), every problem is collected with the position it was written at,
and the whole-definition rules (targets, reachability, guards) of
``workflow.language.semantics`` run on what was seen. The compiler builds a spec only from a
definition that passes, so it can trust every shape.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import jsonpath

from workflow.errors import Problem
from workflow.language.lengths import check_lengths
from workflow.language.loader import Document
from workflow.language.schemas import input_properties
from workflow.language.semantics import Ref, check_semantics, did_you_mean
from workflow.language.validator_states import IDENTIFIER, SLUG, SPELLING, StateChecker, describe

__all__ = ["TOP_KEYS", "WEEKDAYS", "effective_calendar", "validate", "weekday"]

TOP_KEYS: tuple[str, ...] = ("workflow", "title", "description", "owner", "departments")
TOP_KEYS += ("input", "calendar", "sla", "triggers", "events", "start", "states")
REQUIRED = ("workflow", "title", "owner", "departments", "start", "states")
CALENDAR_KEYS = ("country", "subdivision", "timezone", "weekend")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TRIGGER_KEYS = ("webhook", "match", "input", "signal", "data", "business_key")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday(name: object) -> int | None:
    """Monday=0 for ``sat``/``Saturday``...; None for anything else."""
    if not isinstance(name, str):
        return None
    lowered = name.lower()
    for index, (short, full) in enumerate(zip(WEEKDAYS, _FULL_DAYS, strict=True)):
        if lowered in (short, full):
            return index
    return None


def effective_calendar(inherited: Any, own: Any) -> dict[str, Any]:
    """A department's calendar: its own keys over the workflow's.

    A department that names another country does not inherit the subdivision.
    """
    base = dict(inherited) if isinstance(inherited, dict) else {}
    if isinstance(own, dict) and "country" in own:
        base.pop("subdivision", None)
    return base | (own if isinstance(own, dict) else {})


def validate(document: Document) -> list[Problem]:
    """Every problem of ``document``, in file order; empty when it is valid."""
    checker = _Checker(document)
    checker.definition()
    problems = checker.problems + check_semantics(document, checker.outline)
    problems += check_lengths(document)
    unique = {(p.line, p.column, p.message): p for p in problems}
    return [unique[k] for k in sorted(unique)]


class _Checker(StateChecker):
    def definition(self) -> None:
        data = self.mapping((), self.doc.data, "a workflow definition")
        if data is None:
            return
        self.keys((), data, TOP_KEYS, REQUIRED)
        if "workflow" in data:
            self.pattern(("workflow",), data["workflow"], SLUG, "'workflow'")
        for key in ("title", "description"):
            if key in data:
                self.text((key,), data[key], f"'{key}'")
        if "departments" in data:
            self.departments_(data["departments"])
        if "owner" in data:
            self.owner(data["owner"])
        if "input" in data:
            self.schema(("input",), data["input"], "'input'")
            self.outline.input_properties = input_properties(data["input"])
        if "calendar" in data:
            self.calendar(("calendar",), data["calendar"])
        if "triggers" in data:
            self.triggers(data["triggers"])
        if "start" in data and (start := self.text(("start",), data["start"], "'start'")):
            self.outline.start = Ref(start, ("start",))
        if "states" in data:
            self.states(data["states"])
        if "sla" in data:
            self.sla(data["sla"])
        if "events" in data:
            self.events(data["events"])
        self.trigger_events(data.get("triggers"))

    def sla(self, value: Any) -> None:
        """The whole case's deadline: ``{due, remind?, escalate_to?, paused_in?}``;
        ``paused_in`` names wait states during which the clock stops."""
        body = self.mapping(("sla",), value, "'sla'")
        if body is None:
            return
        self.keys(("sla",), body, ("due", "remind", "escalate_to", "paused_in"), ("due",))
        for key in ("due", "remind"):
            if key in body:
                self.duration(("sla", key), body[key])
        if "escalate_to" in body:
            self.queue(("sla", "escalate_to"), body["escalate_to"])
        paused = body.get("paused_in", [])
        if not isinstance(paused, list):
            self.report(("sla", "paused_in"), "'paused_in' must be a list of wait states")
            return
        for index, name in enumerate(paused):
            kind = self.outline.states.get(name) if isinstance(name, str) else None
            if kind != "wait" and self.outline.states_readable:
                hint = did_you_mean(
                    str(name), [n for n, k in self.outline.states.items() if k == "wait"]
                )
                self.report(
                    ("sla", "paused_in", index),
                    f"'{name}' is not a wait state: the SLA clock pauses only while waiting "
                    f"on someone outside{hint}",
                )

    def owner(self, value: Any) -> None:
        owner = self.text(("owner",), value, "'owner'")
        if owner is not None and self.departments is not None and owner not in self.departments:
            hint = did_you_mean(owner, self.departments)
            self.report(("owner",), f"owner '{owner}' is not a declared department{hint}")

    def departments_(self, value: Any) -> None:
        body = self.mapping(("departments",), value, "'departments'")
        if body is None:
            return
        if not body:
            self.report(("departments",), "'departments' must declare at least one department")
        self.departments = set(body)
        for key, department in body.items():
            at = ("departments", key)
            if not SLUG.match(key):
                self.report(at, f"department key '{key}' must be {SPELLING[SLUG]}", key=True)
            if self.mapping(at, department, f"department '{key}'") is None:
                continue
            self.keys(at, department, ("title", "calendar"), ("title",))
            if "title" in department:
                self.text((*at, "title"), department["title"], "a department's title")
            if "calendar" in department:
                inherited = self.doc.data.get("calendar")
                self.calendar((*at, "calendar"), department["calendar"], inherited)

    def calendar(self, at: tuple[str, ...], value: Any, inherited: Any = None) -> None:
        body = self.mapping(at, value, "a calendar")
        if body is None:
            return
        self.keys(at, body, CALENDAR_KEYS, ())
        if "country" in body or "subdivision" in body:
            merged = effective_calendar(inherited, body)
            self._holidays(at, merged.get("country"), merged)
        if "timezone" in body:
            zone = body["timezone"]
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, TypeError, ValueError):
                self.report(
                    (*at, "timezone"),
                    f"unknown time zone {describe(zone)}: use an IANA name such as "
                    "'America/New_York'",
                )
        if "weekend" in body:
            days = body["weekend"]
            if not isinstance(days, list) or any(weekday(day) is None for day in days):
                message = f"weekend is a list of days ({', '.join(WEEKDAYS)})"
                self.report((*at, "weekend"), message)
            elif len({weekday(day) for day in days}) == len(WEEKDAYS):
                self.report((*at, "weekend"), "a weekend of every day leaves no business days")

    def _holidays(self, at: tuple[str, ...], country: Any, body: dict[str, Any]) -> None:
        supported = holidays.list_supported_countries()
        if not isinstance(country, str) or country not in supported:
            hint = did_you_mean(country, supported) if isinstance(country, str) else ""
            self.report(
                (*at, "country"),
                "country must be a code the holidays package knows (e.g. 'US'), not "
                f"{describe(country)}{hint}",
            )
            return
        if "subdivision" not in body:
            return
        subdivision = body["subdivision"]
        if not isinstance(subdivision, str) or subdivision not in supported[country]:
            known = ", ".join(supported[country][:15]) or "none"
            self.report(
                (*at, "subdivision"),
                f"'{country}' has no subdivision {describe(subdivision)} (it has: {known})",
            )

    def triggers(self, value: Any) -> None:
        """Each trigger either starts the workflow (``input``) or signals the instance
        with the payload's business key (``signal``); ``match`` picks the payloads it
        takes when a source sends several kinds."""
        if not isinstance(value, list):
            self.report(("triggers",), f"'triggers' must be a list, not {describe(value)}")
            return
        for index, trigger in enumerate(value):
            at = ("triggers", index)
            if self.mapping(at, trigger, "a trigger") is None:
                continue
            self.keys(at, trigger, TRIGGER_KEYS, ("webhook",))
            if "webhook" in trigger:
                self.pattern((*at, "webhook"), trigger["webhook"], SLUG, "webhook")
            if ("input" in trigger) == ("signal" in trigger):
                self.report(
                    at,
                    "a trigger has either 'input' (it starts the workflow) or 'signal' "
                    "(it signals the instance with the business key), not "
                    + ("both" if "input" in trigger else "neither"),
                )
            if "signal" in trigger:
                self.text((*at, "signal"), trigger["signal"], "'signal'")
                if "business_key" not in trigger:
                    self.report(at, "a signal trigger needs 'business_key' to find the instance")
            if "business_key" in trigger:
                self.json_path((*at, "business_key"), trigger["business_key"])
            if "input" in trigger:
                fields = self.mapping((*at, "input"), trigger["input"], "a trigger's input")
                for name, path in (fields or {}).items():
                    self._trigger_field((*at, "input", name), name)
                    self.json_path((*at, "input", name), path)
            for key in ("data", "match"):
                if key in trigger:
                    paths = self.mapping((*at, key), trigger[key], f"a trigger's {key}")
                    for name, path in (paths or {}).items():
                        self.json_path((*at, key, name), path if key == "data" else name)
        self._unambiguous(value)

    def _unambiguous(self, triggers: list[Any]) -> None:
        """Two triggers of one source with the same ``match`` would both take a payload."""
        seen: set[tuple[Any, str]] = set()
        for index, trigger in enumerate(triggers):
            if not isinstance(trigger, dict) or not isinstance(trigger.get("webhook"), str):
                continue
            match = trigger.get("match")
            selector = repr(sorted(match.items())) if isinstance(match, dict) else ""
            if (trigger["webhook"], selector) in seen:
                self.report(
                    ("triggers", index, "webhook"),
                    f"webhook '{trigger['webhook']}' is listed twice with the same 'match'",
                )
            seen.add((trigger["webhook"], selector))

    def events(self, value: Any) -> None:
        """``events: {name: {keep: DURATION}}``: a signal that arrives before the
        instance waits for it is kept that long, then delivered when it does."""
        body = self.mapping(("events",), value, "'events'")
        for name, event in (body or {}).items():
            at = ("events", name)
            if self.mapping(at, event, f"event '{name}'") is None:
                continue
            self.keys(at, event, ("keep",), ("keep",))
            if "keep" in event:
                self.duration((*at, "keep"), event["keep"])

    def trigger_events(self, triggers: Any) -> None:
        """Signalled and kept events must be ones some wait state waits for."""
        waited = self._waited_events()
        if waited is None:
            return
        names: list[tuple[tuple[str | int, ...], Any]] = []
        if isinstance(triggers, list):
            names += [
                (("triggers", i, "signal"), t["signal"])
                for i, t in enumerate(triggers)
                if isinstance(t, dict) and "signal" in t
            ]
        events = self.doc.data.get("events")
        if isinstance(events, dict):
            names += [(("events", name), name) for name in events]
        for at, name in names:
            if isinstance(name, str) and name not in waited:
                hint = did_you_mean(name, waited)
                self.report(
                    at,
                    f"no wait state waits for '{name}'{hint}",
                    key=at[0] == "events",
                )

    def _waited_events(self) -> set[str] | None:
        states = self.doc.data.get("states")
        if not isinstance(states, dict):
            return None
        waited: set[str] = set()
        for body in states.values():
            if isinstance(body, dict) and "wait" in body and isinstance(body.get("on"), dict):
                waited.update(str(name) for name in body["on"])
        return waited

    def _trigger_field(self, at: tuple[str | int, ...], name: str) -> None:
        properties = self.outline.input_properties
        if properties is not None and name not in properties:
            hint = did_you_mean(name, properties)
            self.report(at, f"'{name}' is not a property of the input schema{hint}", key=True)

    def json_path(self, at: tuple[str | int, ...], value: Any) -> None:
        if not isinstance(value, str) or not value.startswith("$"):
            self.report(at, f"a JSONPath starts with '$' (e.g. '$.id'), not {describe(value)}")
            return
        try:
            jsonpath.compile(value)
        except jsonpath.JSONPathError as error:
            first = str(error).splitlines()[0]
            self.report(at, f"'{value}' is not a valid JSONPath: {first}")

    def states(self, value: Any) -> None:
        body = self.mapping(("states",), value, "'states'")
        if body is None:
            return
        self.outline.states_readable = True
        if not body:
            self.report(("states",), "'states' is empty: declare at least one task and a final")
        for name, state in body.items():
            if not IDENTIFIER.match(name):
                self.report(
                    ("states", name),
                    f"state name '{name}' must be letters, digits and '_' (guards refer to "
                    "it as data.<name>)",
                    key=True,
                )
            self.state(name, ("states", name), state)
