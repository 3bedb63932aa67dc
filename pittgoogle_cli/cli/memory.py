"""glibc's allocator, tuned for pgb's load: pull replies of ~6 MB each, read, decoded and
dropped several times a second.

By default glibc raises its mmap threshold to the size of each large block freed, so after
the first reply every later one comes from the heap, whose freed space fragments and is
seldom returned: RSS climbed from ~94 to ~107 MiB between 5,000 and 20,000 alerts. With the
threshold fixed at 1 MiB each reply is its own mapping, returned whole when freed, and RSS
stayed at ~82 MiB (tests/test_load.py). Only the command does this, never the library:
the allocator is the application's to tune.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_MMAP_THRESHOLD = -3
_THRESHOLD = 1 << 20


def tune_allocator() -> None:
    """On glibc, fix the mmap threshold, unless ``MALLOC_MMAP_THRESHOLD_`` says otherwise."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        # The process's own symbols: no library search (find_library runs ldconfig).
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
