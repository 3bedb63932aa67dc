"""Avro schemas for messages that do not carry their own (Confluent wire format).

A wire-format message starts with 0x00 and a 4-byte big-endian schema id; Pitt-Google's
LSST ids are MAJOR*100+MINOR (1000 = v10.0). A schema for id N is looked for, in each
folder in order (``--schema-dir`` folders first, then the ones shipped here), as
``MAJOR/MINOR/lsst.vMAJOR_MINOR.alert.avsc`` (the layout of lsst/alert_packet),
``lsst.vMAJOR_MINOR.alert.avsc`` or ``N.avsc``; named types it references are read from
sibling files. A new schema version therefore needs a folder, not a new pgb.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from fastavro.schema import load_schema

from pittgoogle_cli._exceptions import ConfigError, DecodeError
from pittgoogle_cli.packets.cache import BoundedCache
from pittgoogle_cli.packets.models import SchemaInfo

SHIPPED = Path(__file__).parent


def _candidates(folder: Path, schema_id: int) -> Iterator[Path]:
    major, minor = divmod(schema_id, 100)
    stem = f"lsst.v{major}_{minor}.alert.avsc"
    yield folder / "lsst" / str(major) / str(minor) / stem
    yield folder / str(major) / str(minor) / stem
    yield folder / stem
    yield folder / f"{schema_id}.avsc"


def schema_info(parsed: object, encoding: str, schema_id: int | None = None) -> SchemaInfo:
    """Survey, name and version read off a parsed Avro schema."""
    name = parsed.get("name") if isinstance(parsed, dict) else None
    version = parsed.get("version") if isinstance(parsed, dict) else None
    survey = name.split(".", 1)[0] if isinstance(name, str) and "." in name else None
    if survey == "lsst" and isinstance(name, str):  # lsst.v10_0.alert -> 10.0
        version = name.split(".")[1].lstrip("v").replace("_", ".")
    return SchemaInfo(
        encoding,
        survey=survey,
        name=name if isinstance(name, str) else None,
        version=str(version) if version is not None else None,
        schema_id=schema_id,
        schema=parsed,
    )


class SchemaRegistry:
    """Schemas by id, from folders; each is parsed once."""

    def __init__(self, folders: Sequence[Path] = ()) -> None:
        for folder in folders:
            if not folder.is_dir():
                raise ConfigError(f"schema folder {folder} does not exist")
        self.folders = [*folders, SHIPPED]
        self._loaded = BoundedCache(self._load)

    def get(self, schema_id: int) -> SchemaInfo:
        return self._loaded(schema_id)

    def find(self, schema_id: int) -> Path | None:
        """The file schema ``schema_id`` is read from, or None if no folder has it."""
        for folder in self.folders:
            for path in _candidates(folder, schema_id):
                if path.is_file():
                    return path
        return None

    def _load(self, schema_id: int) -> SchemaInfo:
        path = self.find(schema_id)
        if path is not None:
            try:
                parsed = load_schema(str(path))
            except Exception as exc:
                raise DecodeError(f"schema {path} cannot be loaded: {exc}") from None
            return schema_info(parsed, "confluent-wire", schema_id)
        major, minor = divmod(schema_id, 100)
        raise DecodeError(
            f"unknown schema id {schema_id} (v{major}.{minor}): add its .avsc files to a "
            "folder given with --schema-dir"
        )
