"""glibc's allocator, tuned for pgb's load: pull replies of ~10 MB each, read, parsed into
~75 KB messages, decoded and dropped several times a second.

By default glibc raises its mmap threshold to the size of each large block freed, so after
the first reply every later one comes from the heap, whose freed space fragments and is
seldom returned: RSS over 20,000 alerts went from 86 MiB (the 5,000th) to 124 (the
20,000th). pgb fixes the threshold at 128 KiB (a reply: its own mapping, returned whole
when freed; the messages stay on the heap) and hands the heap's free pages back once a
second (``malloc_trim``), which with the replies freed as soon as they are written
(``engine.batch``, ``pubsub.stream``) keeps the peak at 84-85 MiB by the 5,000th alert and
by the 20,000th alike (tests/test_load.py). Only `pgb pull` does this, never the library:
the allocator is the application's to tune.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable

_M_MMAP_THRESHOLD = -3
_THRESHOLD = 128 << 10
_TRIM_EVERY = 1.0  # seconds


def tune_allocator() -> None:
    """On glibc, fix the mmap threshold (unless ``MALLOC_MMAP_THRESHOLD_`` says otherwise)
    and trim the heap every second from a daemon thread (~6 ms on a fragmented 50 MB heap,
    under 1% of a core)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        # The process's own symbols: no library search (find_library runs ldconfig).
        libc = ctypes.CDLL(None)
        mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has neither)
        return
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
    threading.Thread(target=_trim_forever, args=(malloc_trim,), daemon=True).start()


def _trim_forever(malloc_trim: Callable[[int], int]) -> None:
    while True:
        time.sleep(_TRIM_EVERY)
        malloc_trim(0)
