"""From settings to the working parts: the engine (its decoder and filter chain are
``parts``') and the output. Every problem is a ``ConfigError`` (exit 2), raised before
anything is pulled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine.batch import Engine, Reject, line_of
from pittgoogle_cli.engine.parts import decoder, filters, path_check
from pittgoogle_cli.engine.paths import PathCheck
from pittgoogle_cli.engine.settings import DecodeSettings
from pittgoogle_cli.filters.base import Filter
from pittgoogle_cli.outputs.base import GuardedSink, Sink
from pittgoogle_cli.outputs.cutouts import CutoutFolderSink
from pittgoogle_cli.outputs.jsonl import JsonLinesSink
from pittgoogle_cli.outputs.pipe import stdout_sink
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.models import Counts
from pittgoogle_cli.shapes.shape import make_renderer

if TYPE_CHECKING:
    from pittgoogle_cli.engine.workers import WorkerEngine

__all__ = ["decoder", "engine", "file_engine", "filters", "open_output", "path_check", "started"]


def open_output(
    settings: DecodeSettings, out: str | Path | None = None, *, acked: bool = True
) -> Sink:
    """The sink for ``out`` (default: ``settings.out``) and ``settings.format``. ``acked``:
    what is written will be acked, so on a pipe a line counts only once it was read.

    A JSON-lines output (stdout, FILE.jsonl, FILE.jsonl.gz, ``--format tom``) without
    ``--cutouts DIR`` writes each alert as the line the engine made of it: the sink says
    so (``outputs.base.line_render``) and the engine renders each alert as soon as the
    filters keep it (``engine.batch``). With ``--workers``, the workers render."""
    target = str(out if out is not None else settings.out or "-")
    shape = settings.shape()
    fmt = settings.format
    if fmt == "tom":  # TOM's alerts are JSON lines: say so rather than fill a .sqlite with them
        implied = _implied_format(target)
        if implied not in (None, "jsonl"):
            raise ConfigError(
                f"--format tom writes JSON lines, not {implied}: "
                "use stdout, FILE.jsonl or FILE.jsonl.gz"
            )
        fmt = "jsonl"
    folder = shape.cutout_folder
    implied = fmt or (None if target == "-" else _implied_format(target))
    lines = implied in (None, "jsonl") and folder is None
    if settings.workers > 1 and not lines:  # refused before anything is made
        what = f"--format {implied}" if implied not in (None, "jsonl") else "--cutouts DIR"
        raise ConfigError(
            f"--workers writes JSON lines (stdout, FILE.jsonl, FILE.jsonl.gz), not {what}: "
            "drop --workers for it"
        )
    shaped = make_renderer(shape)
    render = line_of if lines else shaped
    if target == "-" and fmt in (None, "jsonl"):
        sink: Sink = stdout_sink(render) if acked else JsonLinesSink(render)
    else:
        from pittgoogle_cli.outputs.choose import open_sink

        sink = open_sink(target, fmt, render)
    sink = GuardedSink(sink, "stdout" if target == "-" else target, lines=shaped if lines else None)
    if folder is not None:
        sink = GuardedSink(CutoutFolderSink(folder, sink), f"cutouts to {folder}")
    return sink


def engine(
    settings: DecodeSettings,
    reject: Reject,
    counts: Counts,
    *,
    many: bool = False,
    check: PathCheck | None = None,
    parts: tuple[Decoder, list[Filter]] | None = None,
) -> Engine | WorkerEngine:
    """The engine ``settings.workers`` asks for: in this process (with ``parts``, the
    decoder and filters, if built already), or a pool of workers (started by ``started``;
    each builds its own)."""
    if settings.workers > 1:
        from pittgoogle_cli.engine.workers import WorkerEngine

        return WorkerEngine(settings, settings.workers, reject, counts, many=many)
    if settings.workers < 1:
        raise ConfigError(f"--workers takes 1 or more, not {settings.workers}")
    the_decoder, the_filters = parts or (decoder(settings), filters(settings))
    return Engine(the_decoder, the_filters, reject, counts, many=many, check=check)


@asynccontextmanager
async def started(engine: Engine | WorkerEngine) -> AsyncIterator[Engine | WorkerEngine]:
    """``engine``, its workers (if any) running until the block ends."""
    if not isinstance(engine, Engine):
        try:
            await engine.start()
            yield engine
        finally:
            await engine.aclose()
    else:
        yield engine


def _implied_format(target: str) -> str | None:
    """The format ``--out``'s name implies, or None when it implies none (``x.txt``)."""
    from pittgoogle_cli.outputs.choose import output_format

    try:
        return output_format(target)
    except ConfigError:
        return None


def file_engine(settings: DecodeSettings, reject: Reject, counts: Counts) -> Engine | WorkerEngine:
    """The engine of local files (``pgb decode``, dead-letter replay): decoder, filters and
    path check from ``settings``, several alerts per message allowed; run it in
    ``started``."""
    return engine(settings, reject, counts, many=True, check=path_check(settings))
