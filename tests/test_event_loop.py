"""pgb's entry points run on asyncio's own loop; ``PGB_EVENT_LOOP=uvloop`` picks uvloop's
where it is installed, and asyncio's where it is not."""

from __future__ import annotations

import asyncio

import pytest

from pittgoogle_cli.engine.loop import LOOP_ENV, run


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


@pytest.mark.parametrize("value", [None, "asyncio", "", "tokio"])
def test_asyncio_by_default(monkeypatch: pytest.MonkeyPatch, value: str | None):
    if value is None:
        monkeypatch.delenv(LOOP_ENV, raising=False)
    else:
        monkeypatch.setenv(LOOP_ENV, value)
    assert run(_loop_module) == "asyncio"


@pytest.mark.parametrize("value", ["uvloop", " UVLoop "])
def test_uvloop_when_asked(monkeypatch: pytest.MonkeyPatch, value: str):
    pytest.importorskip("uvloop")  # in the [test] extra
    monkeypatch.setenv(LOOP_ENV, value)
    assert run(_loop_module) == "uvloop"


def test_asyncio_when_uvloop_is_asked_for_but_missing(monkeypatch: pytest.MonkeyPatch):
    import sys

    monkeypatch.setitem(sys.modules, "uvloop", None)  # import fails: not installed
    monkeypatch.setenv(LOOP_ENV, "uvloop")
    assert run(_loop_module) == "asyncio"
