"""``pgb decode``: the same decode, filters, shapes and outputs as ``pgb pull``, over local
files (Avro files, saved messages, JSON notices), so a filter is developed offline on real
alerts and then run live unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pittgoogle_cli._exceptions import ConfigError, DecodeError
from pittgoogle_cli.alerts.models import Alert
from pittgoogle_cli.engine.processing import Processing
from pittgoogle_cli.engine.pull import FilterFailed, apply_filters
from pittgoogle_cli.outputs.jsonl import Sink

_SUFFIXES = (".avro", ".json", ".bin")
_BATCH = 100


@dataclass(slots=True)
class LocalCounts:
    files: int = 0
    written: int = 0
    filtered: int = 0
    failed: int = 0


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
    processing: Processing,
    sink: Sink,
    on_error: Callable[[Path, BaseException], None],
) -> LocalCounts:
    decoder, counts, batch = processing.decoder(), LocalCounts(), []
    for path in expand(paths):
        counts.files += 1
        try:
            data = path.read_bytes()
            decoded = decoder.decode_all(data)
        except (DecodeError, OSError) as exc:
            counts.failed += 1
            on_error(path, exc)
            continue
        if len(decoded) > 1:
            data = b""  # the file's bytes are not any one alert's
        for record, info in decoded:
            alert = Alert(record, message_id=path.name, data=data, schema=info)
            try:
                kept = await apply_filters(alert, processing.filters)
            except FilterFailed as exc:
                counts.failed += 1
                on_error(path, exc)
                continue
            if kept is None:
                counts.filtered += 1
            else:
                batch.append(kept)
        if len(batch) >= _BATCH:
            await sink.write(batch)
            counts.written += len(batch)
            batch = []
    await sink.write(batch)
    counts.written += len(batch)
    return counts
