"""Durable file writes shared by the sinks.

A sink acks alerts right after ``write`` returns, so a file must survive a crash from
then on: data fsynced, then renamed over its final name (readers never see half a file),
then its folder fsynced (the rename itself is only durable once the folder is).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO


def temp_name(path: Path) -> Path:
    """A hidden name beside ``path`` (dataset readers skip names starting with a dot)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` atomically once the block ends without error:
    flushed and fsynced first; removed instead if the block raises."""
    tmp = temp_name(path)
    try:
        with tmp.open("wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """``data`` as the whole content of ``path``, fsynced, never half-written. The folder
    is not fsynced: call :func:`fsync_dirs` once for a batch of files."""
    with replacing(path) as handle:
        handle.write(data)


def fsync_dirs(folders: Iterable[Path]) -> None:
    """Make renames and new entries in these folders durable (POSIX; a no-op on Windows,
    where folders cannot be opened)."""
    if os.name == "nt":
        return
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
