"""Real decoded alerts for the filter tests, and filters run the way a pull runs them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from pittgoogle_cli import Alert, Decoder
from pittgoogle_cli.filters.base import Filter, apply_filters

from ..conftest import ZTF_FILES
from ..outputs.samples import lsst_files

Record = dict[str, Any]


def decode_all(paths: Sequence[Path]) -> list[Record]:
    decoder = Decoder()
    return [decoder.decode(path.read_bytes())[0] for path in paths]


@pytest.fixture
def ztf_records() -> list[Record]:
    """The nine real ZTF alerts (v3.2 to v4.02), decoded afresh for each test."""
    return decode_all(ZTF_FILES)


@pytest.fixture
def lsst_records() -> list[Record]:
    found = lsst_files()
    if not found:
        pytest.skip("no LSST sample alerts here")
    return decode_all(found)


def run_filters(records: Sequence[Record], filters: Sequence[Filter]) -> list[Record]:
    """The records the pipeline keeps, in order, as ``pipeline.apply_filters`` does it."""

    async def keep_all() -> list[Record]:
        kept = []
        for record in records:
            alert = await apply_filters(Alert(record), filters)
            if alert is not None:
                kept.append(alert.record)
        return kept

    return anyio.run(keep_all)


def candids(records: Sequence[Record]) -> list[int]:
    return [r["candid"] for r in records]


def unique_name(prefix: str = "pgbtest") -> str:
    """Module names are cached in sys.modules for the session: never reuse one."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def write_module(folder: Path, source: str) -> str:
    """A module file in ``folder`` with a fresh name; returns that name."""
    name = unique_name()
    (folder / f"{name}.py").write_text(source)
    return name
