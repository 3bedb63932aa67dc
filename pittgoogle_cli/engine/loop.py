"""The event loop pgb runs on: uvloop where it is installed (Linux and macOS, CPython), else
asyncio's own. ``PGB_EVENT_LOOP=asyncio`` picks asyncio's loop anyway.

uvloop is a dependency because ``python -m bench.cpu`` measured it: 2-10% less CPU per alert
in three A/B drains of 2,000 ZTF alerts, as its reads and timers are in C (and ~24 MB more
RSS, ``python -m bench.memory``). Code that already runs a
loop (a notebook, a Django worker) keeps its own; this only chooses for pgb's entry points.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

T = TypeVar("T")

LOOP_ENV = "PGB_EVENT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes pgb's event loop: uvloop's, unless it is missing or turned off."""
    if os.environ.get(LOOP_ENV, "").strip().lower() != "asyncio":
        try:
            import uvloop
        except ImportError:  # Windows, PyPy, or installed without it
            pass
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``anyio.run(main, *args)`` on pgb's event loop."""
    return anyio.run(main, *args, backend_options={"loop_factory": loop_factory()})
