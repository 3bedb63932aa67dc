"""pgb's entry points run on uvloop where it is installed; ``PGB_EVENT_LOOP=asyncio`` picks
asyncio's own loop (a user whose code or debugger wants it)."""

from __future__ import annotations

import asyncio

import pytest

from pittgoogle_cli.engine.loop import LOOP_ENV, run


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_uvloop_by_default(monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("uvloop")
    monkeypatch.delenv(LOOP_ENV, raising=False)
    assert run(_loop_module) == "uvloop"


@pytest.mark.parametrize("value", ["asyncio", " AsyncIO "])
def test_asyncio_when_asked(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv(LOOP_ENV, value)
    assert run(_loop_module) == "asyncio"
