"""The event loop pgb runs on: asyncio's own; ``PGB_EVENT_LOOP=uvloop`` picks uvloop's
where it is installed (``pip install 'pittgoogle-cli[uvloop]'``).

uvloop was the default while it measured 2-10% less CPU per alert (``python -m bench.cpu``,
three A/B drains of 2,000 ZTF alerts). Since pgb keeps its freed memory for the next reply
(``cli/memory.py``) it saves nothing: 1.67 against 1.66 ms of CPU an alert (``python -m
bench.ab --runs 8 uvloop:TREE=.,PGB_EVENT_LOOP=uvloop asyncio:TREE=.``, 4,000 alerts from
the replay server; 33.7 against 33.4 s for 20,000 in ``python -m bench.memory``), and it
holds 24 MB more: 106 against 82 MB peak RSS at 20,000 alerts. Code that already runs a
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
    """What makes pgb's event loop: asyncio's, or uvloop's when asked for and installed."""
    if os.environ.get(LOOP_ENV, "").strip().lower() == "uvloop":
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
