"""Safe expressions for ``when:`` guards and ``{{ }}`` title templates.

INTERFACE STUB — the implementation is being written; keep these names and signatures.
"""

from __future__ import annotations

from collections.abc import Mapping

from workflow.errors import CivicflowError, ExpressionError

__all__ = [
    "Expression",
    "ExpressionSyntaxError",
    "Template",
    "parse_expression",
    "parse_template",
]


class ExpressionSyntaxError(CivicflowError):
    """The text is not a valid expression; ``offset`` is the 0-based character index."""

    def __init__(self, message: str, *, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


class Expression:
    source: str
    names: frozenset[tuple[str, ...]]

    def evaluate(self, scope: Mapping[str, object]) -> object:
        raise ExpressionError("not implemented")


class Template:
    source: str
    names: frozenset[tuple[str, ...]]

    def render(self, scope: Mapping[str, object]) -> str:
        raise ExpressionError("not implemented")


def parse_expression(source: str) -> Expression:
    raise NotImplementedError


def parse_template(source: str) -> Template:
    raise NotImplementedError
