"""Where ``pgb pull --out PATH [--format F]`` writes: the sink for a path, by its suffix.

=======================  ============  ====================================================
``--out``                ``--format``  what is written
=======================  ============  ====================================================
none or ``-``            ``jsonl``     JSON lines on stdout
a device or a FIFO       ``jsonl``     JSON lines into it (``/dev/null``; a FIFO as a pipe)
``*.jsonl``              ``jsonl``     JSON lines appended to the file
``*.jsonl.gz``           ``jsonl``     the same, gzip, one member per batch
``DIR/`` or a folder     ``avro``      ``DIR/<objectId>/<candid>.avro``, the survey's Avro
``*.sqlite``, ``*.db``   ``sqlite``    table ``alerts``: main columns plus the JSON
``*.parquet``            ``parquet``   a folder of Parquet parts (``pittgoogle-cli[parquet]``)
=======================  ============  ====================================================

JSON lines and SQLite's ``alert`` column are made by ``render`` (so ``--lite``,
``--fields`` and ``--envelope`` apply); Avro and Parquet keep the full alert.
Every sink is durable when its ``write`` returns, because the pull acks right after.
Appending to a JSON-lines file first ends its last line: a line torn by a crash (of
alerts never acked) is cut off, as is a torn gzip member.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import BinaryIO

import orjson

from pittgoogle_cli._exceptions import ConfigError, OutputFailed
from pittgoogle_cli.outputs.avro import AvroFolderSink
from pittgoogle_cli.outputs.base import Sink
from pittgoogle_cli.outputs.files import fsync_dirs
from pittgoogle_cli.outputs.jsonl import JsonLinesFileSink, JsonLinesSink
from pittgoogle_cli.outputs.jsonl_gz import GzipJsonLinesSink
from pittgoogle_cli.outputs.pipe import device_sink
from pittgoogle_cli.outputs.sqlite import SqliteSink
from pittgoogle_cli.packets.models import Alert

FORMATS = ("jsonl", "avro", "sqlite", "parquet")
_SUFFIXES = (
    (".jsonl.gz", "jsonl"),
    (".jsonl", "jsonl"),
    (".sqlite", "sqlite"),
    (".db", "sqlite"),
    (".parquet", "parquet"),
)
_CHOICES = (
    "use .jsonl, .jsonl.gz, .sqlite, .db, .parquet, a folder (ending in /) for Avro "
    f"files, a device or a FIFO, or say --format {'|'.join(FORMATS)}"
)


def output_format(out: str | None, fmt: str | None = None) -> str:
    """The format ``fmt`` names, else the one ``out`` implies."""
    if isinstance(fmt, Enum):  # typer's choices
        fmt = str(fmt.value)
    if fmt is not None:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown --format {fmt!r}: choose {', '.join(FORMATS)}")
        return fmt
    if out is None or out == "-":
        return "jsonl"
    if out.endswith(("/", "\\")) or Path(out).is_dir():
        return "avro"
    if is_stream(Path(out).expanduser()):
        return "jsonl"
    for suffix, found in _SUFFIXES:
        if out.lower().endswith(suffix):
            return found
    raise ConfigError(f"cannot tell what to write to {out!r} from its name: {_CHOICES}")


def open_sink(out: str | None, fmt: str | None, render: Callable[[Alert], bytes]) -> Sink:
    """The sink for ``--out``/``--format``; errors are ``ConfigError`` (exit 2), raised
    before anything is pulled."""
    chosen = output_format(out, fmt)
    if out is None or out == "-":
        if chosen != "jsonl":
            raise ConfigError(f"--format {chosen} writes files: give --out PATH")
        return JsonLinesSink(render)
    path = Path(out).expanduser()
    if is_stream(path):  # nothing to fsync, nor a line to end
        if chosen != "jsonl":
            raise ConfigError(f"--format {chosen} writes files; {out} is a device or a FIFO")
        try:
            return device_sink(render, path)
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from None
    if not path.parent.is_dir():  # a file's folder, a folder output's parent: as mkdir does
        raise ConfigError(f"cannot write {out}: folder {path.parent} does not exist")
    if chosen in ("avro", "parquet") and path.exists() and not path.is_dir():
        raise ConfigError(f"{out} is a file; {chosen} output is a folder (of files)")
    try:
        sink = _open(chosen, path, render)
        fsync_dirs([path.absolute().parent])  # a new file or folder is durable from now on
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise OutputFailed(f"cannot write {out}: {exc.strerror}") from None
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:  # a full disk, or not a database
        raise OutputFailed(f"cannot write {out}: {exc}") from None
    return sink


def is_stream(path: Path) -> bool:
    """Whether ``path`` is a character device (``/dev/null``, a terminal) or a FIFO:
    written to as it is, never a file's name to read a format from."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _open(chosen: str, path: Path, render: Callable[[Alert], bytes]) -> Sink:
    if chosen == "avro":
        return AvroFolderSink(path)
    if chosen == "sqlite":
        return SqliteSink(path, render)
    if chosen == "parquet":
        return _parquet_sink(path)
    if path.name.lower().endswith(".gz"):
        return GzipJsonLinesSink(path, render)
    if path.is_file():
        end_last_line(path)
    return JsonLinesFileSink(path, render)


def end_last_line(path: Path) -> None:
    """Before appending: a last line without its newline is either a whole JSON value
    (another tool's file), which gets its newline, or the torn end of an interrupted
    write (of alerts never acked), which is cut off."""
    with path.open("r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        start = _last_line_start(handle, size)
        if start == size:
            return
        try:
            orjson.loads(_read(handle, start, size))
        except orjson.JSONDecodeError:
            handle.truncate(start)
        else:
            handle.seek(size)
            handle.write(b"\n")
        os.fsync(handle.fileno())


def _last_line_start(handle: BinaryIO, size: int, chunk: int = 1 << 16) -> int:
    """The offset just after the file's last newline (0 if it has none)."""
    end = size
    while end > 0:
        start = max(0, end - chunk)
        found = _read(handle, start, end).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


def _read(handle: BinaryIO, start: int, end: int) -> bytes:
    handle.seek(start)
    return handle.read(end - start)


def _parquet_sink(path: Path) -> Sink:
    try:
        from pittgoogle_cli.outputs.parquet import ParquetDatasetSink
    except ImportError as exc:
        if not (exc.name or "").startswith("pyarrow"):
            raise
        raise ConfigError(
            "Parquet output needs pyarrow: pip install 'pittgoogle-cli[parquet]'"
        ) from None
    return ParquetDatasetSink(path)
