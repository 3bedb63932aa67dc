"""``--where``: the documented forms on real alerts, the null rule, random conditions
against a reference written here, and everything else refused by name."""

from __future__ import annotations

import ast
import math
import operator
import random
from collections.abc import Callable
from typing import Any

import pytest

from pittgoogle_cli import ConfigError
from pittgoogle_cli.filters import where as where_module
from pittgoogle_cli.filters.where import compile_condition, where_filter

from .conftest import Record, candids, run_filters

Expectation = Callable[[dict[str, Any], Record], bool]


def known(*values: object) -> bool:
    return all(v is not None for v in values)


# (expression, the same condition in plain Python on (candidate, alert), nulls by hand)
DOCUMENTED: list[tuple[str, Expectation]] = [
    (
        "candidate.magpsf < 18 and candidate.drb > 0.9",
        lambda c, a: c["magpsf"] < 18 and known(c.get("drb")) and c["drb"] > 0.9,
    ),
    ('not candidate.isdiffpos == "f"', lambda c, a: c["isdiffpos"] != "f"),
    ("candidate.isdiffpos != 'f'", lambda c, a: c["isdiffpos"] != "f"),
    ("candidate.fid in (1, 3)", lambda c, a: c["fid"] in (1, 3)),
    ("candidate.fid not in [2]", lambda c, a: c["fid"] != 2),
    ("17 < candidate.magpsf <= 19", lambda c, a: 17 < c["magpsf"] <= 19),
    ("18 > candidate.magpsf", lambda c, a: c["magpsf"] < 18),
    ("candidate.drb is None", lambda c, a: c.get("drb") is None),
    ("candidate.drb is not None", lambda c, a: c.get("drb") is not None),
    ("candidate.magpsf < candidate.diffmaglim", lambda c, a: c["magpsf"] < c["diffmaglim"]),
    ("candidate.dec > -10.5", lambda c, a: c["dec"] > -10.5),
    (
        "(candidate.fid == 1 or candidate.magpsf < 16) and not candidate.drb < 0.999",
        lambda c, a: (
            (c["fid"] == 1 or c["magpsf"] < 16) and known(c.get("drb")) and not c["drb"] < 0.999
        ),
    ),
    (
        "candidate.isdiffpos == 't' or candidate.isdiffpos == '1'",
        lambda c, a: c["isdiffpos"] in ("t", "1"),
    ),
    (
        "candidate.rb >= 0.5 and candidate.programid == 1",
        lambda c, a: c["rb"] >= 0.5 and c["programid"] == 1,
    ),
    ("prv_candidates is not None", lambda c, a: a.get("prv_candidates") is not None),
]


@pytest.mark.parametrize(("expression", "expected"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_documented_forms_on_real_alerts(
    expression: str, expected: Expectation, ztf_records: list[Record]
):
    want = [r["candid"] for r in ztf_records if expected(r["candidate"], r)]
    assert candids(run_filters(ztf_records, [where_filter(expression)])) == want


def test_objectid_equality(ztf_records: list[Record]):
    target = ztf_records[4]["objectId"]
    kept = run_filters(ztf_records, [where_filter(f"objectId == {target!r}")])
    assert kept
    expected = [r["objectId"] for r in ztf_records if r["objectId"] == target]
    assert [r["objectId"] for r in kept] == expected


def test_the_cuts_mean_something_on_these_alerts(ztf_records: list[Record]):
    """Each documented example keeps some alerts and drops others, so its test tests it."""
    for expression, _ in DOCUMENTED[:8]:
        kept = run_filters(ztf_records, [where_filter(expression)])
        assert 0 < len(kept) < len(ztf_records), expression


def test_lsst_fields(lsst_records: list[Record]):
    flux = sorted(r["diaSource"]["psfFlux"] for r in lsst_records)[0]
    kept = run_filters(lsst_records, [where_filter(f"diaSource.psfFlux >= {flux}")])
    assert len(kept) == len(lsst_records)
    assert run_filters(lsst_records, [where_filter("candidate.magpsf < 30")]) == []


NULLS = {
    "null": None,
    "n": 1.5,
    "i": 2,
    "s": "t",
    "yes": True,
    "nan": math.nan,
    "inf": -math.inf,
    "inner": {"x": 1},
    "items": [1, 2],
    "raw": b"x",
}
UNKNOWN = None


@pytest.mark.parametrize(
    ("expression", "truth"),
    [
        ("null < 1", UNKNOWN),
        ("not null < 1", UNKNOWN),
        ("missing == 1", UNKNOWN),
        ("not missing == 1", UNKNOWN),
        ("missing.deeper.still == 1", UNKNOWN),
        ("nan < 1 or nan >= 1", UNKNOWN),
        ("inf < 0", UNKNOWN),
        ("null is None", True),
        ("missing is None", True),
        ("nan is None", True),
        ("inf is None", True),
        ("inner is None", False),
        ("n is not None", True),
        ("null is not None", False),
        ("n == 's'", UNKNOWN),
        ("s != 1", UNKNOWN),
        ("s < 1", UNKNOWN),
        ("yes == 1", UNKNOWN),
        ("yes == True", True),
        ("i == 2.0", True),
        ("inner == 1", UNKNOWN),
        ("inner.x == 1", True),
        ("items == 1", UNKNOWN),
        ("items.x == 1", UNKNOWN),
        ("raw == 'x'", UNKNOWN),
        ("n < s", UNKNOWN),
        ("n < i", True),
        ("null < 1 and n > 5", False),
        ("null < 1 and n > 1", UNKNOWN),
        ("null < 1 or n > 1", True),
        ("null < 1 or n > 5", UNKNOWN),
        ("not (null < 1 and n > 5)", True),
        ("n in (1.5, 3)", True),
        ("n not in (1.5, 3)", False),
        ("yes in (True,)", True),
        ("yes not in (False,)", True),
        ("s in (1, 2)", UNKNOWN),
        ("s not in (1, 2)", UNKNOWN),
        ("i not in (1, 3)", True),
        ("yes in (1,)", UNKNOWN),
        ("null in (1,)", UNKNOWN),
        ("1 < i < 3", True),
        ("1 < null < 3", UNKNOWN),
        ("3 < i < null", False),
    ],
)
def test_three_valued_null_rule(expression: str, truth: bool | None):
    assert compile_condition(expression)(dict(NULLS)) is truth
    assert where_filter(expression)(dict(NULLS)) == (NULLS if truth is True else None)


def test_not_and_the_opposite_comparison_keep_the_same_alerts(ztf_records: list[Record]):
    for field in ("magpsf", "drb", "classtar", "sgscore1", "distpsnr1", "ssdistnr"):
        values = sorted(v for r in ztf_records if isinstance(v := r["candidate"].get(field), float))
        middle = values[len(values) // 2]
        negated = where_filter(f"not candidate.{field} > {middle!r}")
        opposite = where_filter(f"candidate.{field} <= {middle!r}")
        assert run_filters(ztf_records, [negated]) == run_filters(ztf_records, [opposite])


def test_no_parsing_per_alert(monkeypatch: pytest.MonkeyPatch, ztf_records: list[Record]):
    keep = where_filter("candidate.magpsf < 18 and candidate.drb > 0.9")

    def no_more(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(ast, "parse", no_more)
    monkeypatch.setattr(where_module, "_Compiler", no_more)
    assert len(run_filters(ztf_records, [keep])) > 0


def test_repr_names_the_expression():
    assert repr(where_filter("a < 1")) == "Where(expression='a < 1')"


# --- random conditions against a reference evaluator written here ---------------------

FIELDS = [
    "candidate.magpsf",
    "candidate.drb",
    "candidate.classtar",
    "candidate.fid",
    "candidate.isdiffpos",
    "candidate.ssdistnr",
    "candidate.programid",
    "objectId",
    "candidate.nothere",
    "prv_candidates",
    "candidate",
]
OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def lookup(record: Any, path: str) -> Any:
    for key in path.split("."):
        record = record.get(key) if isinstance(record, dict) else None
    return record


def sort_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number" if math.isfinite(value) else None
    return "string" if isinstance(value, str) else None


# Kleene's logic as an order False < UNKNOWN < True: and is min, or is max.
RANK = {False: 0, None: 1, True: 2}
BY_RANK = {0: False, 1: None, 2: True}


def reference(tree: tuple[Any, ...], record: Record) -> bool | None:
    kind = tree[0]
    if kind == "cmp":
        _, path, op, literal = tree
        value = lookup(record, path)
        if sort_of(value) is None or sort_of(value) != sort_of(literal):
            return None
        return bool(OPS[op](value, literal))
    if kind == "null":
        value = lookup(record, tree[1])
        return (value is None or (isinstance(value, float) and not math.isfinite(value))) != tree[2]
    if kind == "in":
        truths = [reference(("cmp", tree[1], "==", v), record) for v in tree[2]]
        found = BY_RANK[max(RANK[t] for t in truths)]
        return found if not tree[3] or found is None else not found
    if kind == "not":
        inner = reference(tree[1], record)
        return None if inner is None else not inner
    ranks = [RANK[reference(part, record)] for part in tree[1]]
    return BY_RANK[min(ranks) if kind == "and" else max(ranks)]


def text(tree: tuple[Any, ...], rng: random.Random) -> str:
    kind = tree[0]
    if kind == "cmp":
        _, path, op, literal = tree
        if rng.random() < 0.3:
            return f"{literal!r} {MIRROR[op]} {path}"
        return f"{path} {op} {literal!r}"
    if kind == "null":
        return f"{tree[1]} is {'not ' if tree[2] else ''}None"
    if kind == "in":
        return f"{tree[1]} {'not in' if tree[3] else 'in'} {tuple(tree[2])!r}"
    if kind == "not":
        return f"not ({text(tree[1], rng)})"
    return "(" + f" {kind} ".join(text(part, rng) for part in tree[1]) + ")"


def random_tree(rng: random.Random, values: list[Any], depth: int = 0) -> tuple[Any, ...]:
    roll = rng.random() if depth < 3 else 0.0
    if roll < 0.45:
        return ("cmp", rng.choice(FIELDS), rng.choice(list(OPS)), rng.choice(values))
    if roll < 0.55:
        return ("null", rng.choice(FIELDS), rng.random() < 0.5)
    if roll < 0.65:
        sort = sort_of(rng.choice(values))
        of_a_sort = [v for v in values if sort_of(v) == sort]
        members = rng.sample(of_a_sort, min(3, len(of_a_sort)))
        return ("in", rng.choice(FIELDS), members, rng.random() < 0.5)
    if roll < 0.75:
        return ("not", random_tree(rng, values, depth + 1))
    parts = [random_tree(rng, values, depth + 1) for _ in range(rng.randint(2, 3))]
    return ("and" if roll < 0.88 else "or", parts)


def test_random_conditions_agree_with_the_reference(ztf_records: list[Record]):
    rng = random.Random(20261130)
    values: list[Any] = [True, False, "t", "f", "ZTF", -999.0, 0, 1, 2, 18]
    for record in ztf_records:
        values += [lookup(record, f) for f in FIELDS[:8] if lookup(record, f) is not None]
    values += [rng.uniform(-1, 25) for _ in range(20)]
    checked = {True: 0, False: 0, None: 0}
    for _ in range(400):
        tree = random_tree(rng, values)
        condition = compile_condition(text(tree, rng))
        for record in ztf_records:
            expected = reference(tree, record)
            assert condition(record) is expected, (text(tree, rng), record["candid"])
            checked[expected] += 1
    assert min(checked.values()) > 300  # all three outcomes were exercised


# --- refused -----------------------------------------------------------------------------

REFUSED = [
    ("__import__('os')", "function calls are not allowed: __import__('os')"),
    ("open('x') == 1", "function calls are not allowed: open('x')"),
    ("a.b() < 1", "function calls are not allowed: a.b()"),
    ("x[0] < 1", "indexing is not allowed: x[0]"),
    ("prv_candidates[0].magpsf < 18", "indexing is not allowed: prv_candidates[0]"),
    ("lambda: 1", "lambdas are not allowed: lambda: 1"),
    ("1 + 2 < 3", "arithmetic is not allowed: 1 + 2"),
    ("x ** 2 < 3", "arithmetic is not allowed: x ** 2"),
    ("x @ y < 3", "arithmetic is not allowed: x @ y"),
    ("x < (y := 1)", "assignments (:=) are not allowed: y := 1"),
    ("[i for i in x]", "comprehensions are not allowed: [i for i in x]"),
    ("x in (i for i in y)", "comprehensions are not allowed"),
    ("x.__class__", "dunder names are not fields: x.__class__"),
    ("x.__class__ == 1", "dunder names are not fields: x.__class__"),
    ("__builtins__ is None", "dunder names are not fields: __builtins__"),
    ("x == f'{y}'", "f-strings are not allowed: f'{y}'"),
    ("x == 1 if y else 2", "if-else expressions are not allowed"),
    ("x == {'a': 1}", "dicts are not allowed"),
    ("x & y", "& and | are not allowed (use and, or): x & y"),
    ("x < 1 | y > 2", "& and | are not allowed"),
    ("~x", "~ is not allowed (use not): ~x"),
    ("-x < 1", "- goes only before a number: -x"),
    ("x < -'a'", "- goes only before a number: -'a'"),
    ("x < +1", "+ is not allowed: +1"),
    ("x < (not y)", "not goes before a condition, not a value"),
    ("(a < b) < c", "a comparison cannot be compared: a < b"),
    ("x", "not a condition; compare it"),
    ("True", "not a condition"),
    ("'candidate.magpsf'", "not a condition"),
    ("x and y < 1", "not a condition; compare it, e.g. x == True or x is not None: x"),
    ("1 < 2", "this compares no field: 1 < 2"),
    ("'x' == 'x'", "this compares no field"),
    ("1 < 2 < x", "this compares no field"),
    ("x == None", "compare with None only as `is None` / `is not None`: None"),
    ("x is 1", "is / is not go only with None; use == or !=: 1"),
    ("None is x", "expected a field name here: None"),
    ("x in y", "in / not in take a non-empty list of values, e.g. (1, 2): y"),
    ("x in ()", "non-empty list"),
    ("x in (y, 1)", "a field is not a value"),
    ("x in (1, 'a')", "the values must be all numbers, all strings or all bools: (1, 'a')"),
    ("x in (1, True)", "the values must be all numbers"),
    ("x < 1 in (1,)", "in / is cannot be chained"),
    ("x in (1,) in (1,)", "in / is cannot be chained"),
    ("x == (1, 2)", "a list of values only goes after in / not in: (1, 2)"),
    ("x == b'a'", "only numbers, strings, True and False are literals: b'a'"),
    ("x == 1j", "only numbers, strings, True and False are literals: 1j"),
    ("x == ...", "only numbers, strings, True and False are literals"),
    ("x == *y", "invalid syntax"),
    ("await x", "await is not allowed"),
    ("(yield x)", "Yield is not allowed"),
    ("x < 1; y < 2", "invalid syntax"),
    ("import os", "invalid syntax"),
    ("x <", "invalid syntax, it ends too soon"),
    ("candidate.class == 1", "invalid syntax, at column 11"),
    ("", "the condition is empty"),
    ("   ", "the condition is empty"),
    ("x == 1\x00", "null bytes"),
    ("not " * 60 + "x < 1", "nested more than 50 deep"),
    ("(" * 300 + "x < 1" + ")" * 300, "too many nested parentheses"),
]


@pytest.mark.parametrize(("expression", "message"), REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_everything_else_is_refused_by_name(expression: str, message: str):
    with pytest.raises(ConfigError) as caught:
        where_filter(expression)
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith("--where")
    assert message in str(caught.value)
