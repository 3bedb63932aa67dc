"""``--where``: a condition on alert fields, checked by a small parser (never ``eval``) and
compiled once into plain closures, pure (``filters.conditions``).

The grammar is a subset of Python's expression syntax, read with
``ast.parse(mode="eval")``; any other node is a ``ConfigError`` naming it::

    condition  := condition "or" condition | condition "and" condition
                | "not" condition | "(" condition ")" | comparison
    comparison := operand OP operand [OP operand ...]     # 17 < candidate.magpsf < 18
                | path ["not"] "in" "(" literal, ... ")"  # or [...], {...}
                | path "is" ["not"] "None"
    OP         := "<" | "<=" | ">" | ">=" | "==" | "!="
    operand    := path | literal                          # at least one path per comparison
    path       := name ["." name ...]                     # keys into the alert dict
    literal    := int | float | "string" | True | False | "-" number

Nulls follow SQL (BigQuery's WHERE, as in ``pgb query``): three-valued logic. A comparison
is UNKNOWN when a field is missing or null, is NaN or infinite (null in pgb's JSON), is not
a number/string/bool (a record, list, bytes), or when the two sides are of different kinds
(number, string, bool: ``candidate.fid == "1"``, ``isDipole == 1``). ``not`` UNKNOWN is
UNKNOWN; ``and``/``or`` are Kleene's (``False and UNKNOWN`` is False, ``True or UNKNOWN``
is True). The alert is kept only when the whole condition is True. So
``not candidate.drb > 0.9`` keeps exactly what ``candidate.drb <= 0.9`` keeps; test nulls
with ``is None`` / ``is not None``, which are never UNKNOWN. ``x in (a, b)`` means
``x == a or x == b``, so its values must be of one kind. Nothing here raises on an alert.

Fields are written as Python names, so a field named like a keyword (``class``, ``from``)
cannot be; no ZTF or LSST field is. Names such as ``__class__`` are refused.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from typing import Any

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.filters.conditions import (
    KINDS,
    Condition,
    Op,
    compare_fields,
    compare_literal,
    getter,
    is_null,
    kleene,
    member_of,
    negated,
)

MAX_DEPTH = 50
_OPS: dict[type[ast.cmpop], Op] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_MIRRORED: dict[Op, Op] = {operator.lt: operator.gt, operator.le: operator.ge}  # 18 > x is x < 18
_MIRRORED |= {mirror: op for op, mirror in _MIRRORED.items()}
_UNARY = {
    ast.USub: "- goes only before a number",
    ast.UAdd: "+ is not allowed",
    ast.Invert: "~ is not allowed (use not)",
}
_REFUSED: dict[type[ast.AST], str] = {
    ast.Call: "function calls are not allowed",
    ast.Subscript: "indexing is not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.BinOp: "arithmetic is not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    **dict.fromkeys(
        (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
        "comprehensions are not allowed",
    ),
    ast.JoinedStr: "f-strings are not allowed",
    ast.IfExp: "if-else expressions are not allowed",
    ast.Starred: "* is not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Await: "await is not allowed",
    ast.Compare: "a comparison cannot be compared",
    ast.BoolOp: "and / or cannot be compared",
}


@dataclass(frozen=True, slots=True)
class Where:
    """A ``--where`` filter: the alert if the condition is True, else None."""

    expression: str
    condition: Condition = field(repr=False, compare=False)
    paths: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)

    def __call__(self, record: dict[str, Any]) -> dict[str, Any] | None:
        return record if self.condition(record) is True else None


def where_filter(expression: str) -> Where:
    """The filter for ``--where EXPRESSION``; ``ConfigError`` if it is not in the grammar.
    Its ``paths`` are the field paths it reads (checked against each alert schema)."""
    compiler = _Compiler(expression.strip())
    condition = compiler.compile()
    return Where(expression, condition, tuple(dict.fromkeys(compiler.paths)))


def compile_condition(expression: str) -> Condition:
    """The condition as a closure returning True, False or None (UNKNOWN)."""
    return _Compiler(expression.strip()).compile()


def _parse(source: str) -> ast.expr:
    if not source:
        raise ConfigError("--where: the condition is empty")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        if "[]" in source:  # a path from `pgb schema fields` into a list
            raise ConfigError(
                f"--where {source!r}: [] steps into a list, which --where cannot do: it "
                "tests an alert's own fields (--fields keeps a list's items)"
            ) from None
        where = f", at column {exc.offset}" if exc.offset else ""
        if not exc.offset and exc.msg == "invalid syntax":
            where = ", it ends too soon"
        raise ConfigError(f"--where {source!r}: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ConfigError(f"--where {source!r}: not a valid expression ({exc})") from None
    return tree.body


@dataclass(frozen=True, slots=True)
class _Literal:
    value: object


Operand = tuple[str, ...] | _Literal  # a path, or a literal


class _Compiler:
    def __init__(self, source: str) -> None:
        self.source = source
        self.paths: list[tuple[str, ...]] = []

    def compile(self) -> Condition:
        return self.condition(_parse(self.source), 0)

    def refuse(self, node: ast.AST, why: str) -> ConfigError:
        text = ast.get_source_segment(self.source, node) or type(node).__name__
        return ConfigError(f"--where: {why}: {text}")

    def condition(self, node: ast.expr, depth: int) -> Condition:
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"nested more than {MAX_DEPTH} deep")
        if isinstance(node, ast.BoolOp):
            parts = tuple(self.condition(value, depth + 1) for value in node.values)
            return kleene(parts, decisive=isinstance(node.op, ast.Or))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return negated(self.condition(node.operand, depth + 1))
        if isinstance(node, ast.Compare):
            return self.comparison(node)
        if isinstance(node, (ast.Name, ast.Attribute)):
            self.path(node)  # a dunder name is refused as such
        if isinstance(node, (ast.Name, ast.Attribute, ast.Constant)):
            raise self.refuse(node, "not a condition; compare it, e.g. x == True or x is not None")
        raise self.refusal(node)

    def refusal(self, node: ast.AST) -> ConfigError:
        why = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            why = "& and | are not allowed (use and, or)"
        elif isinstance(node, (ast.Name, ast.Attribute)):
            why = "a field is not a value; only values go in the list after in / not in"
        elif isinstance(node, ast.UnaryOp):
            why = _UNARY.get(type(node.op), "not goes before a condition, not a value")
        return self.refuse(node, why)

    def comparison(self, node: ast.Compare) -> Condition:
        first = node.ops[0]
        if len(node.ops) > 1 and any(type(op) not in _OPS for op in node.ops):
            raise self.refuse(node, "in / is cannot be chained")
        if isinstance(first, (ast.In, ast.NotIn, ast.Is, ast.IsNot)):
            path = self.path(node.left)
            if isinstance(first, (ast.Is, ast.IsNot)):
                return self.null_test(path, node.comparators[0], isinstance(first, ast.IsNot))
            return self.membership(path, node.comparators[0], isinstance(first, ast.NotIn))
        operands = [self.operand(item) for item in (node.left, *node.comparators)]
        pairs: list[Condition] = []
        for index, cmpop in enumerate(node.ops):
            left, op, right = operands[index], _OPS[type(cmpop)], operands[index + 1]
            if isinstance(left, _Literal):
                if isinstance(right, _Literal):
                    raise self.refuse(node, "this compares no field")
                left, op, right = right, _MIRRORED.get(op, op), left
            pairs.append(_compare(left, op, right))
        return pairs[0] if len(pairs) == 1 else kleene(tuple(pairs), decisive=False)

    def operand(self, node: ast.expr) -> Operand:
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.path(node)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            raise self.refuse(node, "a list of values only goes after in / not in")
        return _Literal(self.literal(node))

    def path(self, node: ast.expr) -> tuple[str, ...]:
        names = self.names(node)
        self.paths.append(names)
        return names

    def names(self, node: ast.expr) -> tuple[str, ...]:
        # A loop, not recursion: ast.parse accepts dotted paths longer than Python recurses.
        attributes: list[ast.Attribute] = []
        while isinstance(node, ast.Attribute):
            attributes.append(node)
            node = node.value
        if type(node) in _REFUSED:
            raise self.refusal(node)
        if not isinstance(node, ast.Name):
            raise self.refuse(node, "expected a field name here")
        names = [node.id]
        self.refuse_dunder(node, node.id)
        for attribute in reversed(attributes):
            names.append(attribute.attr)
            self.refuse_dunder(attribute, attribute.attr)
        if len(names) > MAX_DEPTH:
            raise self.refuse(node, f"a field path of more than {MAX_DEPTH} names")
        return tuple(names)

    def refuse_dunder(self, node: ast.expr, name: str) -> None:
        if name.startswith("__") and name.endswith("__"):
            raise self.refuse(node, "dunder names are not fields")

    def literal(self, node: ast.expr) -> int | float | str | bool:
        negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
        inner = node.operand if isinstance(node, ast.UnaryOp) and negative else node
        if not isinstance(inner, ast.Constant):
            raise self.refusal(node)
        value = inner.value
        if value is None:
            raise self.refuse(node, "compare with None only as `is None` / `is not None`")
        if isinstance(value, (bool, str)) and not negative:
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if negative else value
        if negative:
            raise self.refuse(node, _UNARY[ast.USub])
        raise self.refuse(node, "only numbers, strings, True and False are literals")

    def null_test(self, path: tuple[str, ...], node: ast.expr, negate: bool) -> Condition:
        if not (isinstance(node, ast.Constant) and node.value is None):
            raise self.refuse(node, "is / is not go only with None; use == or !=")
        get = getter(path)

        def null(record: dict[str, Any]) -> bool:
            return is_null(get(record)) is not negate

        return null

    def membership(self, path: tuple[str, ...], node: ast.expr, negate: bool) -> Condition:
        if type(node) in _REFUSED:
            raise self.refusal(node)
        if not isinstance(node, (ast.Tuple, ast.List, ast.Set)) or not node.elts:
            raise self.refuse(node, "in / not in take a non-empty list of values, e.g. (1, 2)")
        values = [self.literal(item) for item in node.elts]
        kinds = {KINDS[type(value)] for value in values}
        if len(kinds) > 1:  # x in (1, "a") would be a number and a string at once
            raise self.refuse(node, "the values must be all numbers, all strings or all bools")
        return member_of(getter(path), kinds.pop(), frozenset(values), negate)


def _compare(path: tuple[str, ...], op: Op, right: Operand) -> Condition:
    get = getter(path)
    if isinstance(right, _Literal):
        return compare_literal(get, op, right.value)
    return compare_fields(get, op, getter(right))
