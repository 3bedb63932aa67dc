"""``pgb decode``: the same engine as ``pgb pull`` (decode, filters, shapes, outputs) over
local files (Avro files, saved messages, JSON notices), so that a filter is developed
offline on real alerts and then run live unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine import build
from pittgoogle_cli.engine.batch import Engine
from pittgoogle_cli.engine.settings import DecodeOutcome, DecodeSettings
from pittgoogle_cli.packets.models import Counts, LocalMessage, Message

_SUFFIXES = (".avro", ".json", ".bin")
_BATCH = 100  # files per write, or fewer when they add up to _BATCH_BYTES
_BATCH_BYTES = 16 * 2**20

OnError = Callable[[str, BaseException], None]


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders searched for .avro, .json and .bin files, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        elif path.is_file():
            yield path
        else:
            raise ConfigError(f"{path}: no such file or folder")


async def decode_files(
    paths: Iterable[Path],
    settings: DecodeSettings,
    *,
    out: str | Path | None = None,
    on_error: OnError | None = None,
) -> DecodeOutcome:
    """Decode, filter and write every alert in ``paths``; a file or an alert that fails is
    reported to ``on_error(where, error)`` and counted, and the rest go on."""
    report = on_error or (lambda where, error: None)
    outcome, counts = DecodeOutcome(), Counts()

    def reject(message: Message, error: Exception) -> None:
        report(getattr(message, "origin", "") or message.message_id, error)

    engine = Engine(
        build.decoder(settings),
        build.filters(settings),
        reject,
        counts,
        many=True,
        check=build.path_check(settings),
    )
    sink = build.open_output(settings, out, acked=False)  # nothing to ack
    try:
        batch: list[Message] = []
        size = 0
        for path in expand(paths):
            outcome.files += 1
            try:
                batch.append(LocalMessage(path.read_bytes(), path.name, origin=str(path)))
                size += len(batch[-1].data)
            except OSError as exc:
                outcome.failed += 1
                report(str(path), exc)
            if len(batch) >= _BATCH or size >= _BATCH_BYTES:
                await engine.handle(batch, sink)
                batch, size = [], 0
        await engine.handle(batch, sink)
    finally:
        await sink.aclose()
    outcome.written, outcome.filtered = counts.written, counts.filtered
    outcome.failed += counts.dead_lettered
    return outcome
