"""The work every peer does for one message, the same as pgb's: the Avro container read
with ``fastavro.reader``, each record one orjson line, bytes (the cutouts) as base64."""

from __future__ import annotations

import base64
import io
from typing import Any

import fastavro
import orjson

_LINE = orjson.OPT_APPEND_NEWLINE


def _b64(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def alert_lines(data: bytes) -> bytes:
    return b"".join(
        orjson.dumps(record, default=_b64, option=_LINE)
        for record in fastavro.reader(io.BytesIO(data))
    )
