"""glibc's allocator, tuned for pgb's load: pull replies of ~10 MB each, read, parsed into
~75 KB messages, decoded and dropped several times a second.

By default glibc raises its mmap threshold to the size of each large block freed, so after
the first reply every later one comes from the heap, whose freed space fragments and is
seldom returned: RSS over 20,000 alerts went from 86 MiB (the 5,000th) to 124 (the
20,000th). pgb fixes the threshold at 512 KiB and hands the heap's free pages back once a
second (``malloc_trim``), which with the replies freed as soon as they are written
(``engine.batch``, ``pubsub.stream``) keeps the peak flat by the 5,000th alert and by the
20,000th alike (tests/test_load.py: 102 and 103 MiB, two runs side by side).

512 KiB, not glibc's 128 KiB: the reads of a reply (the event loop's, 256 KiB each) and the lines
written stay on the heap, reused, instead of each being a mapping of its own, faulted in
zeroed and unmapped; the ~10 MB replies are mappings still, kept for the next reply
(``google.buffers``). A fixed mmap threshold also fixes glibc's trim threshold, at 128
KiB: every free() that left that much at the heap's top gave it back, and the next read
faulted the pages in again. pgb sets it to 16 MiB (the trim each second still returns
them). With both and the kept reply buffers, 8 page faults an alert instead of 64 and
half the system time (0.15 ms an alert against 0.31, 4,000 alerts from the replay server,
eight interleaved runs), at the same peak RSS. Keeping the replies on the heap too (a 32
MiB mmap threshold) fragmented it: 110 MB by 20,000 alerts, not flat.

`pgb pull` and `pgb decode` do this (the latter's files: 10,700 page faults for 2,250 ZTF
files instead of 66,000, 0.2 s of system time instead of 0.37, 55 MB peak RSS instead of
52), never the library: the allocator is the application's to tune.
``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``, when set, are glibc's to apply.
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
_MMAP_THRESHOLD = 512 << 10
_TRIM_THRESHOLD = 16 << 20
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
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    threading.Thread(target=_trim_forever, args=(malloc_trim,), daemon=True).start()


def _trim_forever(malloc_trim: Callable[[int], int]) -> None:
    while True:
        time.sleep(_TRIM_EVERY)
        malloc_trim(0)
