"""Which field paths an alert schema has, so that ``--where "candidate.magpfs < 18"`` is a
usage error naming ``candidate.magpsf`` instead of a stream filtered down to nothing.

A path is refused only when no known version of its survey has it: ``candidate.drb``
exists in ZTF alerts from v3.3 on, so a v3.2 alert simply lacks it (null), like any
optional field. The known paths of every ZTF version pgb ships an alert of are listed in
``schemas/ztf-paths.txt`` (checked against those alerts by the tests); LSST's come from
the schemas shipped in ``schemas/lsst``.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from typing import Any

from fastavro.schema import load_schema

from pittgoogle_cli.packets.schema_fields import field_rows
from pittgoogle_cli.packets.schemas import SHIPPED

Path = tuple[str, ...]
ZTF_PATHS = SHIPPED / "ztf-paths.txt"


def schema_paths(schema: Any) -> frozenset[Path]:
    """Every field path of a parsed Avro schema: ``("candidate",)``, ``("candidate",
    "magpsf")``, ``("prv_candidates[]", "magpsf")`` (an array's items, as ``--fields``
    spells them)."""
    return frozenset(tuple(row.path.split(".")) for row in field_rows(schema))


def render_paths(paths: Iterable[Path]) -> str:
    return "".join(f"{'.'.join(path)}\n" for path in sorted(paths))


@functools.cache
def known_paths(survey: str | None) -> frozenset[Path]:
    """The paths of every known version of ``survey`` (empty for one pgb does not know)."""
    if survey == "ztf":
        lines = ZTF_PATHS.read_text(encoding="utf-8").splitlines()
        return frozenset(tuple(line.split(".")) for line in lines if line)
    if survey == "lsst":
        found: set[Path] = set()
        for file in sorted((SHIPPED / "lsst").glob("*/*/lsst.*.alert.avsc")):
            found |= schema_paths(load_schema(str(file)))
        return frozenset(found)
    return frozenset()


def closest(path: Path, paths: Iterable[Path]) -> str | None:
    """The known path nearest to a misspelt one (``candidate.magpfs`` -> ``candidate.magpsf``;
    ``magpsf`` -> ``candidate.magpsf``; ``objectid`` -> ``objectId``: case counts for
    nothing in the comparison, since the names mix it)."""
    dotted = {".".join(p).lower(): ".".join(p) for p in paths}
    wanted = ".".join(path).lower()
    ends = {d: d.rsplit(".", 1)[-1] for d in dotted}
    if wanted in dotted:
        return dotted[wanted]
    same_end = [d for d, end in ends.items() if end == path[-1].lower()]
    if same_end:  # the field itself, in a record the path did not name (or not so)
        return dotted[max(sorted(same_end), key=lambda d: _likeness(wanted, d))]
    found = difflib.get_close_matches(wanted, dotted, n=1, cutoff=0.75)
    if found:
        return dotted[found[0]]
    near = difflib.get_close_matches(path[-1].lower(), set(ends.values()), n=1, cutoff=0.8)
    if near:
        return dotted[min((d for d, end in ends.items() if end == near[0]), key=len)]
    return None


def _likeness(a: str, b: str) -> tuple[float, int]:
    """The more alike, the larger; of two as alike, the shorter (then the first by name)."""
    return difflib.SequenceMatcher(None, a, b).ratio(), -len(b)
