"""A definition version is identified by the sha256 of its source text."""

from __future__ import annotations

import hashlib
from pathlib import Path

from workflow.language.compiler import compile_definition

MINIMAL = (Path(__file__).parent / "data" / "valid" / "minimal.yaml").read_text(encoding="utf-8")


def test_content_hash_is_sha256_of_the_utf8_text() -> None:
    expected = hashlib.sha256(MINIMAL.encode("utf-8")).hexdigest()
    assert compile_definition(MINIMAL).content_hash == expected


def test_same_text_same_hash() -> None:
    assert compile_definition(MINIMAL).content_hash == compile_definition(MINIMAL).content_hash


def test_changed_text_changes_the_hash() -> None:
    changed = MINIMAL.replace("title: Minimal", "title: Minimal, revised")
    assert compile_definition(changed).content_hash != compile_definition(MINIMAL).content_hash


def test_comment_change_is_a_new_version() -> None:
    commented = MINIMAL + "# reviewed\n"
    assert compile_definition(commented).content_hash != compile_definition(MINIMAL).content_hash


def test_default_source_path() -> None:
    assert compile_definition(MINIMAL).source_path == "<string>"
