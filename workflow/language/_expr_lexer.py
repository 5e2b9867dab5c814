"""Tokenizer for ``workflow.language.expressions`` (private; import from there).

Kept apart so the parser module stays readable. It knows nothing about the
public error types: it raises ``LexError`` with a 0-based offset, and the parser
turns that into ``ExpressionSyntaxError``. Offsets are always absolute in the text
being scanned, so a placeholder inside a title template reports its position in
the whole template.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import NamedTuple

__all__ = ["LexError", "Token", "tokenize"]


class Token(NamedTuple):
    """One token. ``kind`` is ``number``, ``string``, ``name``, ``op`` or ``end``."""

    kind: str
    text: str
    value: object  # int/float for numbers, the decoded text for strings, else ``text``
    offset: int


class LexError(Exception):
    """The text cannot be split into tokens; ``offset`` is the 0-based index."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
# Longest first, so ``//`` wins over ``/`` and ``<=`` over ``<``.
_OPERATORS = ("//", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%")
_PUNCTUATION = frozenset("()[],.")
_ESCAPES = MappingProxyType(
    {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "/": "/"}
)
_HINTS = MappingProxyType(
    {
        "=": " (use '==' to compare)",
        "&": " (use 'and')",
        "|": " (use 'or')",
        "!": " (use 'not' or '!=')",
    }
)


def tokenize(text: str, start: int = 0, *, template: bool = False) -> list[Token]:
    """Split ``text[start:]`` into tokens, ending with one ``end`` token.

    With ``template=True`` the scan stops at the first ``}}`` outside a string
    (that ``}}`` becomes the ``end`` token); reaching the end of the text first is
    an unclosed placeholder, reported at the ``{{`` just before ``start``.
    """
    tokens: list[Token] = []
    pos = start
    length = len(text)
    while True:
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
        if pos >= length:
            if template:
                raise LexError("unclosed '{{'", start - 2)
            tokens.append(Token("end", "", None, pos))
            return tokens
        char = text[pos]
        if template and text.startswith("}}", pos):
            tokens.append(Token("end", "}}", None, pos))
            return tokens
        if char in "'\"":
            value, end = _string(text, pos)
            tokens.append(Token("string", text[pos:end], value, pos))
            pos = end
            continue
        match = _NUMBER.match(text, pos)
        if match:
            tokens.append(_number(text, match))
            pos = match.end()
            continue
        match = _NAME.match(text, pos)
        if match:
            tokens.append(Token("name", match.group(), match.group(), pos))
            pos = match.end()
            continue
        operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
        if operator is None and char in _PUNCTUATION:
            operator = char
        if operator is None:
            raise LexError(f"unexpected character {char!r}{_HINTS.get(char, '')}", pos)
        tokens.append(Token("op", operator, operator, pos))
        pos += len(operator)


def _number(text: str, match: re.Match[str]) -> Token:
    literal = match.group()
    if _NAME_CHAR.match(text, match.end()):
        follower = text[match.end()]
        raise LexError(f"invalid number: {literal!r} is followed by {follower!r}", match.start())
    value: int | float = float(literal) if "." in literal else int(literal)
    return Token("number", literal, value, match.start())


def _string(text: str, start: int) -> tuple[str, int]:
    """Decode the quoted string at ``start``; return it and the index after it."""
    quote = text[start]
    chunks: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return "".join(chunks), pos + 1
        if char != "\\":
            chunks.append(char)
            pos += 1
            continue
        code = text[pos + 1 : pos + 2]
        if code == "u" and _HEX4.fullmatch(text, pos + 2, pos + 6):
            point = int(text[pos + 2 : pos + 6], 16)
            if point == 0 or 0xD800 <= point <= 0xDFFF:
                # no database stores NUL or half a surrogate pair, so no title may
                # render one (and no data holds one for a guard to compare with)
                what = "NUL" if point == 0 else "a lone surrogate"
                raise LexError(f"'\\u{point:04x}' is {what}, which text cannot hold", pos)
            chunks.append(chr(point))
            pos += 6
        elif code in _ESCAPES:
            chunks.append(_ESCAPES[code])
            pos += 2
        elif code == "u":
            raise LexError("invalid escape '\\u' (expected 4 hex digits)", pos)
        elif not code:
            break
        else:
            raise LexError(f"unknown escape '\\{code}'", pos)
    raise LexError("unterminated string", start)
