"""The bounds on what callers may hand the engine, in one place.

Data a caller sends (an instance's input, form data, an event's payload) is stored
as JSON, copied and hashed on every later action, so a value the engine cannot copy
(600 levels deep), hash (NaN, a lone surrogate, a 5000-digit integer) or store the
same way on SQLite and PostgreSQL (NUL) would strand the case: it must be refused
at the door, once, before anything is written. Text a caller names (a business key,
a file name, a comment) is bounded by the column that stores it, because SQLite
stores an over-long value silently where PostgreSQL refuses it; text the engine
makes from data (task titles, notification subjects) is cut to fit instead, since
the definition's author cannot control how long the data is.

Everything here is pure: checks over values, no I/O. ``docs/engine.md`` ("Limits")
lists the same numbers for people.
"""

from __future__ import annotations

import math
from typing import Any

from workflow.errors import FieldError, InvalidDataError

__all__ = [
    "MAX_BUSINESS_KEY",
    "MAX_COMMENT",
    "MAX_DATA_BYTES",
    "MAX_DATA_DEPTH",
    "MAX_DEFINITION_TITLE",
    "MAX_EMAIL",
    "MAX_FILENAME",
    "MAX_INTEGER",
    "MAX_NAME",
    "MAX_PATH",
    "MAX_SUBJECT",
    "MAX_TITLE",
    "check_data",
    "check_text",
    "data_problem",
    "fit_text",
    "printable",
    "text_problem",
]

MAX_DATA_DEPTH = 32  # nesting levels of objects and arrays, the outer object included
MAX_DATA_BYTES = 256 * 1024  # the value written as compact UTF-8 JSON
MAX_INTEGER = 2**63 - 1  # integers in -2**63 .. 2**63-1; larger numbers go as text
MAX_BUSINESS_KEY = 200
MAX_NAME = 100  # workflow keys, state, branch, action and event names, department keys
MAX_DEFINITION_TITLE = 300
MAX_PATH = 500  # the path a definition was registered from
MAX_TITLE = 500  # a task's rendered title (cut with an ellipsis beyond)
MAX_SUBJECT = 300  # a notification's subject (cut likewise)
MAX_FILENAME = 255
MAX_EMAIL = 320  # people's identities
MAX_COMMENT = 10_000

_ELLIPSIS = "…"
_BIG_INTEGER = "integers must lie between -2^63 and 2^63-1; send larger numbers as text"
_NOT_FINITE = "numbers must be finite (NaN, Infinity and numbers beyond 1.8e308 are not JSON)"
_SCALARS = {type(None): 4, bool: 5}


def check_data(value: dict[str, Any], *, what: str, **context: Any) -> None:
    """Refuse ``value`` (a JSON object) with ``InvalidDataError`` if it breaks a bound;
    the message names the first offending place by its JSON pointer."""
    problem = data_problem(value)
    if problem is not None:
        where = problem.path or "/"
        raise InvalidDataError(
            f"{what} is invalid: {where}: {problem.message}",
            errors=[FieldError(where, problem.message)],
            **context,
        )


def data_problem(value: Any) -> FieldError | None:
    """The first place where ``value`` is not storable JSON within the bounds, or None.

    Walks iteratively (never recursing, so a value 100,000 levels deep is refused,
    not a crash) and stops at the first problem or once the size bound is passed."""
    size = 0
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        kind = type(item)
        if kind in _SCALARS:
            size += _SCALARS[kind]
        elif kind is int:
            if not -MAX_INTEGER - 1 <= item <= MAX_INTEGER:
                return _at(path, _BIG_INTEGER)
            size += len(str(item))
        elif kind is float:
            if not math.isfinite(item):
                return _at(path, _NOT_FINITE)
            size += len(repr(item))
        elif kind is str:
            if len(item) > MAX_DATA_BYTES:
                return _too_big()
            problem = text_problem(item)
            if problem is not None:
                return _at(path, problem)
            size += len(item) + 2 if item.isascii() else len(item.encode()) + 2
        elif kind is dict or kind is list:
            if len(path) >= MAX_DATA_DEPTH:
                return _at(path, f"data may be nested at most {MAX_DATA_DEPTH} levels deep")
            size += 2 + len(item)  # brackets and separators
            if size > MAX_DATA_BYTES:
                return _too_big()
            children: list[tuple[Any, tuple[str, ...]]] = []
            if kind is list:
                children = [(element, (*path, str(i))) for i, element in enumerate(item)]
            else:
                for key, element in item.items():
                    if not isinstance(key, str):
                        return _at(path, f"object keys must be text, not {type(key).__name__}")
                    problem = text_problem(key)
                    if problem is not None:
                        return _at((*path, key), f"the key: {problem}")
                    size += len(key.encode()) + 3
                    children.append((element, (*path, key)))
            stack.extend(reversed(children))  # popped in document order
        else:
            return _at(path, f"a {kind.__name__} is not a JSON value")
        if size > MAX_DATA_BYTES:
            return _too_big()
    return None


def _too_big() -> FieldError:
    return FieldError("", f"data may be at most {MAX_DATA_BYTES // 1024} KiB as JSON")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored alike on both databases, or None."""
    if "\x00" in text:
        return "text must not contain the NUL character (U+0000)"
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return "text must be valid Unicode (it holds a lone surrogate code point)"
    return None


def check_text(value: Any, *, what: str, max_length: int, **context: Any) -> str:
    """``value`` if it is text a column of ``max_length`` characters stores alike on
    SQLite and PostgreSQL; otherwise ``InvalidDataError`` saying why."""
    if not isinstance(value, str):
        raise InvalidDataError(f"{what} must be text", **context)
    problem = text_problem(value)
    if problem is None and len(value) > max_length:
        problem = f"it may have at most {max_length} characters (it has {len(value)})"
    if problem is not None:
        raise InvalidDataError(f"{what} is invalid: {problem}", **context)
    return value


def fit_text(text: str, max_length: int) -> str:
    """Text the engine made from data, made storable: NUL and lone surrogates become
    U+FFFD, and beyond ``max_length`` characters it is cut with an ellipsis."""
    if text_problem(text) is not None:
        text = "".join("\ufffd" if ch == "\x00" or _surrogate(ch) else ch for ch in text)
    if len(text) > max_length:
        text = text[: max_length - len(_ELLIPSIS)].rstrip() + _ELLIPSIS
    return text


def printable(text: str, limit: int = 40) -> str:
    """``text`` safe to put in a message: short, and with control characters and lone
    surrogates escaped so no terminal or encoder chokes on it."""
    short = text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS
    return "".join(
        ch if ch.isprintable() and not _surrogate(ch) else f"\\u{ord(ch):04x}" for ch in short
    )


def _surrogate(ch: str) -> bool:
    return 0xD800 <= ord(ch) <= 0xDFFF


def _at(path: tuple[str, ...], message: str) -> FieldError:
    pointer = "".join("/" + printable(p.replace("~", "~0").replace("/", "~1")) for p in path)
    return FieldError(pointer, message)
