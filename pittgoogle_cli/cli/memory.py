"""glibc's allocator, tuned for pgb's load: pull replies of ~10 MB each, read, parsed into
~75 KB messages, decoded and dropped several times a second.

By default glibc raises its mmap threshold to the size of each large block freed, so after
the first reply every later one comes from the heap, whose freed space fragments and is
seldom returned: RSS over 20,000 alerts went from 86 MiB (the 5,000th) to 124 (the
20,000th). pgb fixes the thresholds and hands the heap's free pages back once a second
(``malloc_trim``), which with the replies freed as soon as they are written
(``engine.batch``, ``pubsub.stream``) keeps the peak flat (tests/test_load.py).

The thresholds: replies and messages come from the heap (mmap threshold 32 MiB, glibc's
largest) and free() leaves the heap's top alone up to 64 MiB (trim threshold), so the next
reply reuses pages already mapped; the trim each second returns the rest. With an mmap
threshold of 128 KiB and glibc's trim threshold, every reply was a new mapping and every
message's pages were given back at once, all faulted in again, zeroed: 20,000 alerts took
32.9 s of CPU against 26.1, at a peak RSS of 102 MiB against 110 (``python -m bench.memory
--alerts 2000,20000 --variant ...``; 94 against 106 MiB at 2,000).

`pgb decode` does the same (2,250 ZTF files: 11,000 page faults instead of 65,000, half the
system time, 3 MB more RSS). Only pgb's commands do this, never the library: the allocator
is the application's to tune.
``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` (or ``GLIBC_TUNABLES``' thresholds),
when set, are glibc's to apply.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable

_M_TRIM_THRESHOLD = -1  # mallopt's parameters (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20  # HEAP_MAX_SIZE / 2 on 64 bits: older glibc refuses more
_TRIM_THRESHOLD = 64 << 20
_TRIM_EVERY = 1.0  # seconds


def tune_allocator() -> None:
    """On glibc, fix the mmap and trim thresholds (unless ``MALLOC_*`` says otherwise)
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
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ and "mmap_threshold" not in tunables:
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ and "trim_threshold" not in tunables:
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    threading.Thread(target=_trim_forever, args=(malloc_trim,), daemon=True).start()


def _trim_forever(malloc_trim: Callable[[int], int]) -> None:
    while True:
        time.sleep(_TRIM_EVERY)
        malloc_trim(0)
