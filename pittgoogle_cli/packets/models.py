"""What the library hands to its callers."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pittgoogle_cli.packets import fields


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """How a message was encoded; one object per distinct schema, shared by its alerts.

    ``encoding`` is ``avro-container`` (ZTF), ``confluent-wire`` (LSST/Rubin),
    ``avro-schemaless`` (``--schema``) or ``json``; ``schema`` is the parsed Avro writer
    schema (None for JSON), which Avro and Parquet outputs use.
    """

    encoding: str
    survey: str | None = None
    name: str | None = None
    version: str | None = None
    schema_id: int | None = None
    schema: Any = field(default=None, compare=False, repr=False)


JSON_SCHEMA = SchemaInfo("json")


@dataclass(frozen=True, slots=True)
class Alert:
    """One decoded alert and the Pub/Sub message it arrived in.

    ``record`` is the alert as the survey wrote it (for ZTF: ``objectId``, ``candid``,
    ``candidate``...); bytes fields (the FITS cutouts) stay bytes until rendered.
    ``data`` is the message's exact bytes, ``schema`` how they were decoded.
    """

    record: dict[str, Any]
    message_id: str = ""
    publish_time: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    data: bytes = field(default=b"", repr=False)
    schema: SchemaInfo = JSON_SCHEMA

    @property
    def object_id(self) -> Any:
        """ZTF's objectId, LSST's diaObjectId (in diaObject since v7), LVK's superevent."""
        return fields.object_id(self.record)

    @property
    def candid(self) -> Any:
        return fields.candid(self.record)


class Message(Protocol):
    """What an alert arrives in: a Pub/Sub message, or a file read by ``pgb decode``."""

    @property
    def data(self) -> bytes: ...

    @property
    def message_id(self) -> str: ...

    @property
    def publish_time(self) -> str: ...

    @property
    def attributes(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class LocalMessage:
    """A file's bytes, standing in for a message (``pgb decode``)."""

    data: bytes
    message_id: str = ""
    publish_time: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""  # where it was read from, for error messages


@dataclass(slots=True)
class Counts:
    """What happened so far; read by the progress display and the summary.

    ``pulled``, ``acked`` and ``nacked`` (returned to the subscription) are the stream's;
    ``written``, ``filtered`` and ``dead_lettered`` the engine's.
    """

    pulled: int = 0
    written: int = 0
    filtered: int = 0
    dead_lettered: int = 0
    filter_failures: int = 0  # of the dead-lettered: a filter raised on them
    acked: int = 0
    nacked: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-9)
