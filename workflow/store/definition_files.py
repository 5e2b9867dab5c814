"""Definition files on disk: read, decode and hand to the pure compiler.

The definition language (``workflow.language``) does no I/O; this is where a path
becomes text. An unreadable or non-UTF-8 file is a ``DefinitionError`` located at the
file (and, for a bad byte, its line and column), like any other problem with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from workflow.errors import DefinitionError, Problem
from workflow.language.compiler import compile_definition
from workflow.language.loader import MAX_CHARACTERS, load_document
from workflow.language.spec import WorkflowSpec
from workflow.language.validator import validate

__all__ = ["load_definition", "read_definition", "validate_paths"]


def load_definition(path: str | Path) -> WorkflowSpec:
    """Read and compile one definition file (unreadable files are DefinitionErrors)."""
    return compile_definition(_read(Path(path)), str(path))


def read_definition(path: str | Path) -> str:
    """The text of a definition file, for registering it (``Engine.register``)."""
    return _read(Path(path))


def validate_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """Every problem in the given files and directories (their ``*.yaml``/``*.yml``).

    Besides each file's own problems, two files declaring the same ``workflow`` key
    are reported, since the key names the workflow everywhere.
    """
    problems: list[Problem] = []
    owners: dict[str, str] = {}
    for file in _files([Path(p) for p in paths], problems):
        try:
            document = load_document(_read(file), str(file))
        except DefinitionError as error:
            problems += error.problems
            continue
        problems += validate(document)
        key = document.data.get("workflow") if isinstance(document.data, dict) else None
        if isinstance(key, str):
            if key in owners:
                problems.append(
                    document.problem(("workflow",), f"workflow '{key}' is also in {owners[key]}")
                )
            owners.setdefault(key, str(file))
    return problems


def _files(paths: list[Path], problems: list[Problem]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                problems.append(Problem(str(path), 1, 1, "no *.yaml or *.yml files here"))
            files += found
        else:
            files.append(path)
    return files


def _read(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CHARACTERS + 1)  # no more than a definition may hold
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise DefinitionError(
            [Problem(str(path), 1, 1, f"cannot read the file: {reason}")], file=str(path)
        ) from error
    if len(data) > MAX_CHARACTERS:
        message = f"the file is larger than {MAX_CHARACTERS:,} bytes, the most a definition may be"
        raise DefinitionError([Problem(str(path), 1, 1, message)], file=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"the file is not UTF-8 text (byte 0x{data[error.start]:02x})"
        raise DefinitionError([Problem(str(path), line, column, message)]) from error
