"""``pgb decode``: the same engine as ``pgb pull`` (decode, filters, shapes, outputs) over
local files (Avro files, saved messages, JSON notices), so that a filter is developed
offline on real alerts and then run live unchanged.

What is read (``pgb decode --help`` says the same):

- a file named is always read; ``-`` is standard input;
- a folder is searched, with its subfolders, for ``*.avro``, ``*.bin`` and ``*.json``,
  each also as ``.gz``; hidden files and folders (``.DS_Store``, macOS's ``._x.avro``) are
  skipped, and so is ``X.json`` next to ``X.bin`` (the dead-letter folder's note on why
  that message was set aside);
- gzip-compressed data is recognised by its first bytes and decompressed on the way in;
- a file or standard input holds one message (an Avro container, a wire-format packet, a
  JSON notice), or Avro containers one after another (``cat *.avro``), each read apart.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine import build
from pittgoogle_cli.engine.settings import DecodeOutcome, DecodeSettings
from pittgoogle_cli.packets.containers import split_containers
from pittgoogle_cli.packets.models import Counts, LocalMessage, Message

STDIN = "-"
ALERT_SUFFIXES = (".avro", ".bin", ".json")
_GZIP_MAGIC = b"\x1f\x8b\x08"  # gzip's id bytes and its only method, deflate
_BATCH = 100  # messages per write, or fewer when they add up to _BATCH_BYTES
_BATCH_BYTES = 16 * 2**20

OnError = Callable[[str, BaseException], None]
OnNotice = Callable[[str], None]
Source = str | Path  # a file, a folder, or STDIN


def is_alert_file(path: Path, folder: Path) -> bool:
    """Whether a file found under ``folder`` is read (the rule in the module's docstring)."""
    if any(part.startswith(".") for part in path.relative_to(folder).parts):
        return False
    name = path.name.removesuffix(".gz")
    if not name.endswith(ALERT_SUFFIXES):
        return False
    return not (name.endswith(".json") and path.with_name(name[:-5] + ".bin").is_file())


def expand(sources: Iterable[Source], on_empty: OnNotice | None = None) -> Iterator[Source]:
    """Files (and STDIN) as given; folders searched for alert files, sorted; each folder
    without any is passed to ``on_empty``. ``ConfigError`` for a path that is not there."""
    for source in sources:
        path = Path(source)
        if str(source) == STDIN:
            yield STDIN
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and is_alert_file(p, path))
            if not found and on_empty is not None:
                on_empty(str(path))
            yield from found
        elif path.is_file():
            yield path
        else:
            raise ConfigError(f"{path}: no such file or folder")


def read_messages(source: Source) -> Iterator[LocalMessage]:
    """The messages in one file or STDIN: one, or one per Avro container it holds."""
    stdin = str(source) == STDIN
    name = "<stdin>" if stdin else str(source)
    short = name if stdin else Path(source).name
    with _opened(None if stdin else Path(source)) as stream:
        pieces = split_containers(stream)
        previous, n = next(pieces, None), 1
        for piece in pieces:  # several: each is named by its place, from 1
            yield LocalMessage(previous or b"", f"{short} [{n}]", origin=f"{name} [{n}]")
            previous, n = piece, n + 1
        if previous is not None:
            suffix = f" [{n}]" if n > 1 else ""
            yield LocalMessage(previous, short + suffix, origin=name + suffix)


@contextmanager
def _opened(path: Path | None) -> Iterator[BinaryIO]:
    """``path``, or standard input (None); unzipped on the way if it is gzip."""
    with open(path, "rb") if path is not None else _stdin() as raw:
        if raw.peek(len(_GZIP_MAGIC))[: len(_GZIP_MAGIC)] == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped  # type: ignore[misc]  # a BinaryIO in all but name
        else:
            yield raw


@contextmanager
def _stdin() -> Iterator[io.BufferedReader]:
    stream = sys.stdin.buffer  # not closed: it is the caller's
    if isinstance(stream, io.BufferedReader):
        yield stream
    else:  # stdin replaced by something that cannot peek (a test's, a notebook's)
        yield io.BufferedReader(io.BytesIO(stream.read()))


async def decode_files(
    paths: Iterable[Source],
    settings: DecodeSettings,
    *,
    out: str | Path | None = None,
    on_error: OnError | None = None,
    on_notice: OnNotice | None = None,
) -> DecodeOutcome:
    """Decode, filter and write every alert in ``paths`` (files, folders, ``"-"`` for
    standard input); a file or an alert that fails is reported to ``on_error(where,
    error)`` and counted, and the rest go on. ``on_notice`` hears of each folder that
    holds no alert files (``outcome.files`` is 0 when nothing was found at all)."""
    report = on_error or (lambda where, error: None)
    notice = on_notice or (lambda text: None)
    outcome, counts = DecodeOutcome(), Counts()

    def reject(message: Message, error: Exception) -> None:
        report(getattr(message, "origin", "") or message.message_id, error)

    engine = build.file_engine(settings, reject, counts)
    sources = list(expand(paths, lambda folder: notice(f"no alert files in {folder}")))
    if not sources:
        return outcome
    sink = build.open_output(settings, out, acked=False)  # nothing to ack
    async with build.started(engine):
        try:
            batch: list[Message] = []
            size = 0
            for source in sources:
                outcome.files += 1
                try:
                    for message in read_messages(source):
                        batch.append(message)
                        size += len(message.data)
                        if len(batch) >= _BATCH or size >= _BATCH_BYTES:
                            await engine.handle(batch, sink)
                            batch, size = [], 0
                except (OSError, EOFError, zlib.error) as exc:  # unreadable; gzip cut short or bad
                    outcome.failed += 1
                    report("<stdin>" if source == STDIN else str(source), exc)
            await engine.handle(batch, sink)
        finally:
            await sink.aclose()
    outcome.written, outcome.filtered = counts.written, counts.filtered
    outcome.failed += counts.dead_lettered
    return outcome
