"""Safe expressions for ``when:`` guards and ``{{ }}`` title templates.

Why a language of our own: definitions are YAML written by process owners, and YAML
is data (house rule 4). Handing their text to Python's ``eval`` would let a
definition reach any object in the process, so this module has its own tokenizer
(``workflow.language._expr_lexer``) and recursive-descent parser. Names are looked up only as
keys of mappings and indexes of lists, never as Python attributes, and only a fixed
list of functions exists. A definition is parsed once when it is compiled; the parse
tree becomes nested closures, so ``evaluate`` (run on every user action) does no
parsing and no dispatch on strings.

Grammar (lowest precedence first)::

    expression  := or
    or          := and ("or" and)*
    and         := not ("and" not)*
    not         := "not" not | comparison
    comparison  := sum (compare_op sum)*        # chains like Python: a < b < c
    compare_op  := "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in"
    sum         := term (("+" | "-") term)*
    term        := unary (("*" | "/" | "//" | "%") unary)*
    unary       := ("-" | "+") unary | postfix
    postfix     := (call | NAME | primary) ("." NAME | "[" expression "]")*
    call        := FUNCTION "(" [expression ("," expression)* [","]] ")"
    primary     := NUMBER | STRING | "true" | "false" | "null" | "True" | "False"
                 | "None" | "[" [expression ("," expression)* [","]] "]"
                 | "(" expression ")"

NUMBER is ``12`` or ``12.5``; STRING is single- or double-quoted with the escapes
``\\\\ \\' \\" \\n \\t \\r \\/ \\uXXXX``. FUNCTION is one of ``len lower upper any all
min max abs round int float str``; any other name followed by ``(`` is a syntax
error. Sources are capped at ``MAX_SOURCE_LENGTH`` characters and ``MAX_DEPTH``
levels of nesting.

Semantics, over JSON values (dict, list, str, int, float, bool, None):

- A missing name or key, an index out of range (negative indexes count from the
  end) or a lookup in something that is not a mapping or list gives ``null``:
  optional form fields are normal.
- ``==``/``!=`` never fail; they compare as JSON does (``true != 1``, ``1 == 1.0``).
  ``< <= > >=`` are false when either side is null; otherwise both sides must be
  numbers or both strings. Booleans are not numbers.
- ``+`` adds numbers and joins two strings or two lists; ``- * / // %`` take
  numbers. ``in`` looks in a list, a string (for a substring) or an object's keys;
  on anything else, null included, it is an error (guard with ``x and 'a' in x``).
- ``and``/``or``/``not`` short-circuit and return booleans (JSON truthiness).
- Functions take the JSON types their names suggest; ``int``/``float`` also parse
  strings, ``round`` rounds half to even as Python does, ``str`` formats as a
  template does. A null argument is a bad argument.
- Anything else (wrong types, division by zero, a bad function argument) raises
  ``ExpressionError`` naming the expression; no other exception escapes.

Templates: text with ``{{ expression }}`` placeholders. Null renders as nothing,
booleans as ``true``/``false``, numbers with Python's ``str`` and lists/objects as
JSON. There is no escape for a literal ``{{``.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from workflow.errors import CivicflowError, ExpressionError
from workflow.language._expr_lexer import LexError, Token, tokenize

__all__ = [
    "RESERVED_WORDS",
    "Expression",
    "ExpressionSyntaxError",
    "Template",
    "parse_expression",
    "parse_template",
    "truthy",
]

MAX_SOURCE_LENGTH = 2000
MAX_DEPTH = 50

Scope = Mapping[str, object]
_Run = Callable[[Scope], object]
_Binary = Callable[[object, object], object]
_Test = Callable[[object, object], bool]
_Combine = Callable[[Iterable[bool]], bool]


class ExpressionSyntaxError(CivicflowError):
    """The text is not a valid expression; ``offset`` is the 0-based character index."""

    def __init__(self, message: str, *, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


class _EvaluationError(Exception):
    """A run-time problem; ``Expression.evaluate`` adds the source and re-raises it
    as ``ExpressionError``, so the helpers below need not know the source."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression; build it with ``parse_expression``.

    ``names`` holds every dotted name path the expression reads, so a validator can
    check them against what the workflow defines.
    """

    source: str
    names: frozenset[tuple[str, ...]]
    _run: _Run = field(repr=False, compare=False)

    def evaluate(self, scope: Scope) -> object:
        """The value of the expression over ``scope``; raises ``ExpressionError``."""
        try:
            return self._run(scope)
        except _EvaluationError as failure:
            message = f'{failure} in "{self.source}"'
            raise ExpressionError(message, expression=self.source) from None
        except RecursionError:
            message = f'the data is nested too deeply to evaluate "{self.source}"'
            raise ExpressionError(message, expression=self.source) from None
        except (TypeError, ValueError, ArithmeticError) as error:  # a safety net only
            message = f'cannot evaluate "{self.source}" ({type(error).__name__})'
            raise ExpressionError(message, expression=self.source) from error


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed title template; build it with ``parse_template``."""

    source: str
    names: frozenset[tuple[str, ...]]
    _parts: tuple[str | Expression, ...] = field(repr=False, compare=False)

    def render(self, scope: Scope) -> str:
        """The text with every placeholder replaced; raises ``ExpressionError``."""
        return "".join(
            part if isinstance(part, str) else str(part.evaluate(scope)) for part in self._parts
        )


def parse_expression(source: str) -> Expression:
    """Parse and compile ``source``; raises ``ExpressionSyntaxError``."""
    if len(source) > MAX_SOURCE_LENGTH:
        message = f"expression is longer than {MAX_SOURCE_LENGTH} characters"
        raise _syntax_error(message, MAX_SOURCE_LENGTH)
    parser = _Parser(source, 0, template=False)
    node = parser.parse()
    return Expression(source, frozenset(parser.names), node.run)


def parse_template(source: str) -> Template:
    """Parse ``source`` with its ``{{ }}`` placeholders; raises ``ExpressionSyntaxError``
    with offsets into the whole template."""
    if len(source) > MAX_SOURCE_LENGTH:
        message = f"template is longer than {MAX_SOURCE_LENGTH} characters"
        raise _syntax_error(message, MAX_SOURCE_LENGTH)
    parts: list[str | Expression] = []
    names: set[tuple[str, ...]] = set()
    pos = 0
    while (opening := source.find("{{", pos)) >= 0:
        if opening > pos:
            parts.append(source[pos:opening])
        parser = _Parser(source, opening + 2, template=True)
        node = parser.parse()
        closing = parser.tokens[-1].offset
        text = source[opening + 2 : closing].strip()
        parts.append(Expression(text, frozenset(parser.names), _formatted(node.run)))
        names.update(parser.names)
        pos = closing + 2
    if pos < len(source):
        parts.append(source[pos:])
    return Template(source, frozenset(names), tuple(parts))


def truthy(value: object) -> bool:
    """JSON truthiness, as in Python: null, false, 0, "", [] and {} are false."""
    return bool(value)


# --- values -----------------------------------------------------------------------


def _is_number(value: object) -> bool:
    kind = type(value)  # the exact-type test is the fast path for JSON data
    return kind is int or kind is float or (isinstance(value, int | float) and kind is not bool)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    return "object" if isinstance(value, Mapping) else type(value).__name__


def _show(value: object) -> str:
    """A short description of a value for messages: ``'abc' (string)``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = repr(value)
    else:
        text = json.dumps(value, default=_json_default, ensure_ascii=False)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({_kind(value)})"


def _json_default(value: object) -> object:
    return dict(value) if isinstance(value, Mapping) else str(value)


def _format(value: object) -> str:
    """How a template shows a value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        try:
            return str(value)
        except ValueError:  # an int beyond Python's digit limit for str()
            raise _EvaluationError("the number is too large to show") from None
    if isinstance(value, list | tuple | Mapping):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    return str(value)


def _formatted(run: _Run) -> _Run:
    return lambda scope: _format(run(scope))


def _equal(left: object, right: object) -> bool:
    if left is right:
        return True
    kind = type(left)
    if kind is type(right) and kind in (str, int, float):
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    if (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    ):
        return left == right
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return len(left) == len(right) and all(
            key in right and _equal(value, right[key]) for key, value in left.items()
        )
    return False


def _lookup(container: object, key: object) -> object:
    if type(container) is dict or isinstance(container, Mapping):
        return container.get(key) if isinstance(key, str) else None
    if isinstance(container, list | tuple) and type(key) is int:
        return container[key] if -len(container) <= key < len(container) else None
    return None


def _contains(item: object, container: object) -> bool:
    if isinstance(container, list | tuple):
        return any(_equal(item, element) for element in container)
    if isinstance(container, Mapping):
        return isinstance(item, str) and item in container
    if isinstance(container, str):
        if isinstance(item, str):
            return item in container
        raise _EvaluationError(f"cannot look for {_show(item)} in the string {_show(container)}")
    raise _EvaluationError(
        f"cannot use 'in' on {_show(container)}: it is not a list, string or object"
    )


def _ordering(test: Callable[[Any, Any], bool]) -> _Test:
    def compare(left: object, right: object) -> bool:
        if left is None or right is None:
            return False
        if (_is_number(left) and _is_number(right)) or (
            isinstance(left, str) and isinstance(right, str)
        ):
            return test(left, right)
        raise _EvaluationError(f"cannot compare {_show(left)} with {_show(right)}")

    return compare


def _arithmetic(symbol: str, compute: _Binary) -> _Binary:
    def apply(left: object, right: object) -> object:
        if _is_number(left) and _is_number(right):
            try:
                result = compute(left, right)
            except ZeroDivisionError:
                raise _EvaluationError(
                    f"division by zero: {_show(left)} {symbol} {_show(right)}"
                ) from None
            except OverflowError:
                raise _EvaluationError(f"the result of '{symbol}' is too large") from None
            if isinstance(result, float) and not math.isfinite(result):
                raise _EvaluationError(f"the result of '{symbol}' is too large")
            return result
        if symbol == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if symbol == "+" and isinstance(left, list | tuple) and isinstance(right, list | tuple):
            return [*left, *right]
        raise _EvaluationError(f"cannot apply '{symbol}' to {_show(left)} and {_show(right)}")

    return apply


def _sign(symbol: str, value: object) -> object:
    if not _is_number(value):
        raise _EvaluationError(f"cannot apply unary '{symbol}' to {_show(value)}")
    assert isinstance(value, int | float)
    return -value if symbol == "-" else value


_BINARY: Mapping[str, _Binary] = MappingProxyType(
    {
        symbol: _arithmetic(symbol, compute)
        for symbol, compute in [
            ("+", operator.add),
            ("-", operator.sub),
            ("*", operator.mul),
            ("/", operator.truediv),
            ("//", operator.floordiv),
            ("%", operator.mod),
        ]
    }
)
_COMPARE: Mapping[str, _Test] = MappingProxyType(
    {
        "==": _equal,
        "!=": lambda left, right: not _equal(left, right),
        "<": _ordering(operator.lt),
        "<=": _ordering(operator.le),
        ">": _ordering(operator.gt),
        ">=": _ordering(operator.ge),
        "in": lambda left, right: _contains(left, right),
        "not in": lambda left, right: not _contains(left, right),
    }
)


# --- functions --------------------------------------------------------------------


def _bad(name: str, wanted: str, value: object) -> _EvaluationError:
    return _EvaluationError(f"{name}() needs {wanted}, got {_show(value)}")


def _checked(
    name: str, wanted: str, accepts: Callable[[object], bool], apply: Callable[[Any], object]
) -> Callable[[object], object]:
    """A one-argument function that refuses arguments ``accepts`` rejects, and turns
    Python's conversion errors and non-finite results into a message."""

    def call(value: object) -> object:
        if accepts(value):
            try:
                result = apply(value)
            except (ValueError, OverflowError):
                result = math.inf
            if not isinstance(result, float) or math.isfinite(result):
                return result
        raise _bad(name, wanted, value)

    return call


def _extreme(name: str, pick: Callable[[Any], object]) -> Callable[..., object]:
    def call(*values: object) -> object:
        items = values
        if len(values) == 1:
            if not isinstance(values[0], list | tuple) or not values[0]:
                raise _bad(name, "a non-empty list or several values", values[0])
            items = tuple(values[0])
        if all(map(_is_number, items)) or all(isinstance(item, str) for item in items):
            return pick(items)
        kinds = {_kind(items[0])} & {"number", "string"}
        odd = next(item for item in items if _kind(item) not in kinds)
        raise _bad(name, "only numbers or only strings", odd)

    return call


def _round(value: object, digits: object = None) -> object:
    if not _is_number(value):
        raise _bad("round", "a number", value)
    if digits is not None and (type(digits) is not int or not -20 <= digits <= 20):
        raise _bad("round", "a whole number of digits from -20 to 20", digits)
    assert isinstance(value, int | float)
    return round(value) if digits is None else round(value, digits)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_sized(value: object) -> bool:
    return isinstance(value, str | list | tuple | Mapping)


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _is_numeric(value: object) -> bool:
    return _is_number(value) or isinstance(value, str)


class _Function(NamedTuple):
    least: int
    most: int | None
    apply: Callable[..., object]


_NUMERIC = "a number or a string holding one"
_FUNCTIONS: Mapping[str, _Function] = MappingProxyType(
    {
        "len": _Function(1, 1, _checked("len", "a string, list or object", _is_sized, len)),
        "lower": _Function(1, 1, _checked("lower", "a string", _is_text, str.lower)),
        "upper": _Function(1, 1, _checked("upper", "a string", _is_text, str.upper)),
        "any": _Function(1, 1, _checked("any", "a list", _is_list, lambda v: any(map(truthy, v)))),
        "all": _Function(1, 1, _checked("all", "a list", _is_list, lambda v: all(map(truthy, v)))),
        "min": _Function(1, None, _extreme("min", min)),
        "max": _Function(1, None, _extreme("max", max)),
        "abs": _Function(1, 1, _checked("abs", "a number", _is_number, abs)),
        "round": _Function(1, 2, _round),
        "int": _Function(1, 1, _checked("int", _NUMERIC, _is_numeric, int)),
        "float": _Function(1, 1, _checked("float", _NUMERIC, _is_numeric, float)),
        "str": _Function(1, 1, _format),
    }
)


# --- compiling --------------------------------------------------------------------
# Each helper returns a closure; chains of one precedence level become one loop, so
# evaluation recurses only as deep as the source nests (at most MAX_DEPTH).

_Step = tuple[_Run | None, object]  # (closure computing the key, or None; static key)


def _walk(base: _Run, steps: tuple[_Step, ...]) -> _Run:
    if all(compute is None for compute, _ in steps):  # a plain path: the common case
        keys = tuple(key for _, key in steps)

        def path(scope: Scope) -> object:
            value = base(scope)
            for key in keys:
                value = _lookup(value, key)
            return value

        return path

    def run(scope: Scope) -> object:
        value = base(scope)
        for compute, key in steps:
            value = _lookup(value, key if compute is None else compute(scope))
        return value

    return run


def _fold_left(first: _Run, rest: tuple[tuple[_Binary, _Run], ...]) -> _Run:
    if len(rest) == 1:
        ((apply, second),) = rest
        return lambda scope: apply(first(scope), second(scope))

    def run(scope: Scope) -> object:
        value = first(scope)
        for apply, operand in rest:
            value = apply(value, operand(scope))
        return value

    return run


def _compare_chain(first: _Run, rest: tuple[tuple[_Test, _Run], ...]) -> _Run:
    if len(rest) == 1:
        ((test, second),) = rest
        return lambda scope: test(first(scope), second(scope))

    def run(scope: Scope) -> object:
        left = first(scope)
        for test, operand in rest:
            right = operand(scope)
            if not test(left, right):
                return False
            left = right
        return True

    return run


# --- parsing ----------------------------------------------------------------------

_WORDS = frozenset({"and", "or", "not", "in"})
_CONSTANTS: Mapping[str, object] = MappingProxyType(
    {"true": True, "True": True, "false": False, "False": False, "null": None, "None": None}
)
RESERVED_WORDS = _WORDS | frozenset(_CONSTANTS)
"""Names an expression reads as operators or literals, never as a variable."""


class _Node(NamedTuple):
    run: _Run
    constant: bool = False
    value: object = None


def _constant(value: object) -> _Node:
    return _Node(lambda _scope: value, True, value)


def _syntax_error(message: str, offset: int) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(f"{message} at column {offset + 1}", offset=offset)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "'}}'" if token.text else "end of expression"
    if token.kind in ("number", "string"):
        return f"{token.kind} {token.text}"
    if token.kind == "name" and token.text not in _WORDS:
        return f"name {token.text!r}"
    return repr(token.text)


def _arity(function: _Function) -> str:
    if function.most is None:
        return f"at least {function.least} argument{'s' if function.least > 1 else ''}"
    if function.most > function.least:
        return f"{function.least} or {function.most} arguments"
    return f"{function.least} argument{'s' if function.least > 1 else ''}"


class _Parser:
    """Recursive descent over one token list; records the name paths it reads."""

    def __init__(self, text: str, start: int, *, template: bool) -> None:
        try:
            self.tokens = tokenize(text, start, template=template)
        except LexError as error:
            raise _syntax_error(error.message, error.offset) from None
        self.index = 0
        self.depth = 0
        self.names: set[tuple[str, ...]] = set()

    def parse(self) -> _Node:
        if self._peek().kind == "end":
            raise _syntax_error("expected an expression", self._peek().offset)
        node = self._expression()
        if self._peek().kind != "end":
            raise self._unexpected(self._peek())
        return node

    # --- tokens

    def _peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def _advance(self) -> Token:
        token = self._peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def _at(self, text: str, ahead: int = 0) -> bool:
        token = self._peek(ahead)
        return token.kind in ("op", "name") and token.text == text

    def _expect(self, text: str, message: str) -> Token:
        if not self._at(text):
            token = self._peek()
            raise _syntax_error(f"{message}, found {_describe(token)}", token.offset)
        return self._advance()

    def _unexpected(self, token: Token) -> ExpressionSyntaxError:
        hint = " (use '==' or '!=')" if token.kind == "name" and token.text == "is" else ""
        return _syntax_error(f"unexpected {_describe(token)}{hint}", token.offset)

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            message = f"expression nests more than {MAX_DEPTH} levels deep"
            raise _syntax_error(message, self._peek().offset)

    # --- grammar, lowest precedence first

    def _expression(self) -> _Node:
        self._enter()
        node = self._or()
        self.depth -= 1
        return node

    def _or(self) -> _Node:
        return self._logic("or", self._and, any)

    def _and(self) -> _Node:
        return self._logic("and", self._not, all)

    def _logic(self, word: str, operand: Callable[[], _Node], combine: _Combine) -> _Node:
        """``a or b or c`` as one loop; ``any``/``all`` over a generator short-circuit."""
        first = operand()
        runs = [first.run]
        while self._at(word):
            self._advance()
            runs.append(operand().run)
        if len(runs) == 1:
            return first
        if len(runs) == 2:  # the common case, without a generator
            left, right = runs
            if combine is any:
                return _Node(lambda scope: truthy(left(scope)) or truthy(right(scope)))
            return _Node(lambda scope: truthy(left(scope)) and truthy(right(scope)))
        return _Node(lambda scope: combine(truthy(run(scope)) for run in runs))

    def _not(self) -> _Node:
        if not self._at("not"):
            return self._comparison()
        self._advance()
        self._enter()
        operand = self._not().run
        self.depth -= 1
        return _Node(lambda scope: not truthy(operand(scope)))

    def _comparison(self) -> _Node:
        first = self._sum()
        rest: list[tuple[_Test, _Run]] = []
        while True:
            token = self._peek()
            if token.kind == "op" and token.text in _COMPARE:
                symbol = token.text
            elif self._at("in"):
                symbol = "in"
            elif self._at("not"):
                if not self._at("in", 1):
                    after = self._peek(1)
                    message = f"expected 'in' after 'not', found {_describe(after)}"
                    raise _syntax_error(message, after.offset)
                self._advance()
                symbol = "not in"
            else:
                break
            self._advance()
            rest.append((_COMPARE[symbol], self._sum().run))
        return _Node(_compare_chain(first.run, tuple(rest))) if rest else first

    def _sum(self) -> _Node:
        return self._arithmetic(self._term, ("+", "-"))

    def _term(self) -> _Node:
        return self._arithmetic(self._unary, ("*", "/", "//", "%"))

    def _arithmetic(self, operand: Callable[[], _Node], symbols: tuple[str, ...]) -> _Node:
        first = operand()
        rest: list[tuple[_Binary, _Run]] = []
        while self._peek().kind == "op" and self._peek().text in symbols:
            symbol = self._advance().text
            rest.append((_BINARY[symbol], operand().run))
        return _Node(_fold_left(first.run, tuple(rest))) if rest else first

    def _unary(self) -> _Node:
        token = self._peek()
        if not (token.kind == "op" and token.text in ("-", "+")):
            return self._postfix()
        self._advance()
        self._enter()
        operand = self._unary()
        self.depth -= 1
        symbol = token.text
        if operand.constant and _is_number(operand.value):
            return _constant(_sign(symbol, operand.value))
        run = operand.run
        return _Node(lambda scope: _sign(symbol, run(scope)))

    def _postfix(self) -> _Node:
        token = self._peek()
        path: list[str] | None = None
        if token.kind == "name" and token.text not in _WORDS and token.text not in _CONSTANTS:
            self._advance()
            if self._at("("):
                node = self._call(token)
            else:
                path = [token.text]
                root = token.text
                node = _Node(lambda scope: scope.get(root))
        else:
            node = self._primary()
        steps: list[_Step] = []
        while True:
            if self._at("."):
                self._advance()
                name = self._advance()
                if name.kind != "name":
                    raise _syntax_error("expected a name after '.'", name.offset)
                steps.append((None, name.text))
                if path is not None:
                    path.append(name.text)
            elif self._at("["):
                opening = self._advance()
                key = self._expression()
                where = f"column {opening.offset + 1}"
                self._expect("]", f"expected ']' to close the '[' at {where}")
                steps.append((None, key.value) if key.constant else (key.run, None))
                if path is not None and key.constant and isinstance(key.value, str):
                    path.append(key.value)
                elif path is not None:  # the path ends before a computed or list index
                    self.names.add(tuple(path))
                    path = None
            elif self._at("("):
                known = ", ".join(sorted(_FUNCTIONS))
                message = f"only a function can be called ({known})"
                raise _syntax_error(message, self._peek().offset)
            else:
                break
        if path is not None:
            self.names.add(tuple(path))
        return _Node(_walk(node.run, tuple(steps))) if steps else node

    def _call(self, name: Token) -> _Node:
        function = _FUNCTIONS.get(name.text)
        if function is None:
            known = ", ".join(sorted(_FUNCTIONS))
            raise _syntax_error(f"unknown function {name.text!r} (known: {known})", name.offset)
        arguments = self._items(self._advance(), ")")
        if len(arguments) < function.least or (
            function.most is not None and len(arguments) > function.most
        ):
            message = f"{name.text}() takes {_arity(function)}, got {len(arguments)}"
            raise _syntax_error(message, name.offset)
        apply, runs = function.apply, _runs(arguments)
        if len(runs) == 1:
            return _Node(lambda scope: apply(runs[0](scope)))
        return _Node(lambda scope: apply(*[run(scope) for run in runs]))

    def _primary(self) -> _Node:
        token = self._advance()
        if token.kind in ("number", "string"):
            return _constant(token.value)
        if token.kind == "name" and token.text in _CONSTANTS:
            return _constant(_CONSTANTS[token.text])
        if token.kind == "op" and token.text == "(":
            node = self._expression()
            self._expect(")", f"expected ')' to close the '(' at column {token.offset + 1}")
            return node
        if token.kind == "op" and token.text == "[":
            items = _runs(self._items(token, "]"))
            return _Node(lambda scope: [item(scope) for item in items])
        raise self._unexpected(token)

    def _items(self, opening: Token, closer: str) -> list[_Node]:
        """Comma-separated expressions up to ``closer``; a trailing comma is allowed."""
        items: list[_Node] = []
        while not self._at(closer):
            items.append(self._expression())
            if not self._at(","):
                break
            self._advance()
        where = f"column {opening.offset + 1}"
        self._expect(closer, f"expected ',' or '{closer}' to close the '{opening.text}' at {where}")
        return items


def _runs(nodes: Sequence[_Node]) -> tuple[_Run, ...]:
    return tuple(node.run for node in nodes)
