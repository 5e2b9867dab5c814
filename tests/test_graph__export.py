from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import IN_CI, read
from workflow.language.compiler import compile_definition
from workflow.language.graph import to_dot, to_mermaid
from workflow.language.spec import WorkflowSpec

NAMES = ["engine/approval", "engine/decision", "engine/wait", "engine/join-at-least"]


def spec(name: str) -> WorkflowSpec:
    return compile_definition(read(name), f"{name}.yaml")


@pytest.mark.parametrize("name", NAMES)
def test_mermaid__has_every_state(name: str) -> None:
    text = to_mermaid(spec(name))
    for state in spec(name).states:
        assert f"s_{state}" in text


@pytest.mark.parametrize("name", NAMES)
def test_mermaid__has_every_edge_with_its_label(name: str) -> None:
    compiled = spec(name)
    text = to_mermaid(compiled)
    for state in compiled.states.values():
        for action, rules in state.on.items():
            for rule in rules:
                assert f'-- "{action}' in text and f"s_{rule.to}" in text


def test_mermaid__shows_guards_timeouts_and_joins() -> None:
    approval, wait = to_mermaid(spec("engine/approval")), to_mermaid(spec("engine/wait"))
    assert "when fire == 'approve' and structural == 'approve'" in approval
    assert "join all" in approval and "∥ fire: fire/inspectors" in approval
    assert '-- "timeout after 30 days" --> s_withdrawn' in wait


def test_mermaid__escapes_markup_in_labels() -> None:
    text = to_mermaid(spec("engine/approval"))
    assert "{{" not in text and "#123;#123; input.address #125;#125;" in text


def test_dot__edges_carry_labels() -> None:
    text = to_dot(spec("engine/decision"))
    assert '"route" -> "legal_review" [label="when input.amount > 25000"];' in text
    assert '"finance_review" -> "done" [label="reject"];' in text


def test_dot__quotes_are_escaped() -> None:
    source = read("engine/approval").replace(
        'title: "Sign the permit', 'title: \'Sign the "permit"'
    )
    source = source.replace('{{ input.applicant }}"', "{{ input.applicant }}'")
    text = to_dot(compile_definition(source, "x.yaml"))
    assert 'Sign the \\"permit\\"' in text


@pytest.mark.parametrize("name", NAMES)
def test_dot__graphviz_accepts_it(name: str) -> None:
    dot = shutil.which("dot")
    if dot is None:
        message = (
            "Graphviz 'dot' is not installed (scripts/setup installs it with apt where it can)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [dot, "-Tsvg"], input=to_dot(spec(name)), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<?xml")
