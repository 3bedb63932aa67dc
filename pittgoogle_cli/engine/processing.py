"""What happens to each alert after it is pulled or read from a file, shared by ``pgb pull``
and ``pgb decode``: how to decode it, which filters it passes, what it looks like, where it
is written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import fastavro

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.alerts.decode import Decoder
from pittgoogle_cli.alerts.schemas import SchemaRegistry, schema_info
from pittgoogle_cli.outputs.cutouts import CutoutFolderSink
from pittgoogle_cli.outputs.jsonl import JsonLinesSink, Sink
from pittgoogle_cli.shapes.shape import ShapeOptions, make_renderer

if TYPE_CHECKING:
    from pittgoogle_cli.engine.pull import Filter

JSON_FORMATS = (None, "jsonl", "tom")


@dataclass(frozen=True, slots=True)
class Processing:
    """Decode, filter, shape and write: one object, built from the shared CLI options."""

    schema_dirs: Sequence[Path] = ()
    schema_file: Path | None = None
    filters: Sequence[Filter] = field(default_factory=tuple)
    shape: ShapeOptions = field(default_factory=ShapeOptions)
    out: str | None = None
    format: str | None = None

    def decoder(self) -> Decoder:
        registry = SchemaRegistry([*self.schema_dirs, *config.schema_dirs()])
        schemaless = None
        if self.schema_file is not None:
            try:
                parsed = fastavro.schema.load_schema(str(self.schema_file))
            except Exception as exc:
                raise ConfigError(f"--schema {self.schema_file}: {exc}") from None
            schemaless = schema_info(parsed, "avro-schemaless")
        return Decoder(registry, schemaless)

    def sink(self) -> Sink:
        shape = self.shape
        if self.format == "tom":
            shape = ShapeOptions(tom=True, int64_as_string=shape.int64_as_string)
        render = make_renderer(shape)
        if self.out in (None, "-") and self.format in JSON_FORMATS:
            sink: Sink = JsonLinesSink(render)
        else:
            from pittgoogle_cli.outputs.choose import open_sink

            fmt = "jsonl" if self.format == "tom" else self.format
            sink = open_sink(self.out, fmt, render)
        folder = shape.cutout_folder
        return CutoutFolderSink(folder, sink) if folder is not None else sink


def build_filters(
    specs: Sequence[str],
    where: str | None,
    classtar_threshold: float | None,
    classtar: Literal["gt", "lt"],
) -> list[Filter]:
    """Built-in cuts first (cheap, and they drop most alerts), then the user's, in order.
    Each module is imported only when asked for."""
    chosen: list[Filter] = []
    if classtar_threshold is not None:
        from pittgoogle_cli.filters.specs import classtar_filter

        chosen.append(classtar_filter(classtar_threshold, classtar))
    if where is not None:
        from pittgoogle_cli.filters.where import where_filter

        chosen.append(where_filter(where))
    if specs:
        from pittgoogle_cli.filters.specs import load_filters

        chosen += load_filters(specs)
    return chosen
