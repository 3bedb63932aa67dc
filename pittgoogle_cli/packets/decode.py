"""Message bytes to alert dicts, pure, by what the bytes are.

- Avro container (ZTF): starts with ``Obj\x01``; the writer schema is inside.
- Confluent wire format (LSST/Rubin): 0x00, a 4-byte schema id, schemaless Avro; the
  schema comes from a ``SchemaRegistry`` (folders of .avsc files).
- schemaless Avro, when the caller gives the schema (``--schema FILE``).
- JSON (``*-lite`` topics, LVK notices): starts with ``{``.

A ZTF message is an Avro object container file holding one alert and the schema it was
written with. fastavro's ``reader`` parses that schema again for every message (~565 us
for a ZTF alert); here the container header is read by hand (a few varints), the schema
is parsed once per distinct schema text, and the record is read with
``schemaless_reader`` (~375 us). ZTF v3 and v4 schemas differ, so the embedded writer
schema is always the one used.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import fastavro
import orjson

from pittgoogle_cli._exceptions import DecodeError
from pittgoogle_cli.packets.cache import BoundedCache
from pittgoogle_cli.packets.models import SchemaInfo
from pittgoogle_cli.packets.schemas import SchemaRegistry, schema_info

AVRO_MAGIC = b"Obj\x01"
_SYNC_SIZE = 16


def _read_long(buf: bytes, pos: int) -> tuple[int, int]:
    """One Avro zig-zag varint at ``pos``: (value, position after it)."""
    shift = 0
    accum = 0
    while True:
        try:
            byte = buf[pos]
        except IndexError:
            raise DecodeError("Avro container is truncated") from None
        pos += 1
        accum |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (accum >> 1) ^ -(accum & 1), pos
        shift += 7
        if shift > 63:
            raise DecodeError("Avro container has a malformed varint")


def _read_bytes(buf: bytes, pos: int) -> tuple[bytes, int]:
    size, pos = _read_long(buf, pos)
    end = pos + size
    if size < 0 or end > len(buf):
        raise DecodeError("Avro container is truncated")
    return buf[pos:end], end


def read_container_header(buf: bytes) -> tuple[dict[str, bytes], int]:
    """The container's metadata map and the offset of its first data block."""
    if not buf.startswith(AVRO_MAGIC):
        raise DecodeError("not an Avro container")
    meta: dict[str, bytes] = {}
    pos = len(AVRO_MAGIC)
    while True:
        count, pos = _read_long(buf, pos)
        if count == 0:
            break
        if count < 0:  # a negative count is followed by the block's size in bytes
            count = -count
            _, pos = _read_long(buf, pos)
        for _ in range(count):
            key, pos = _read_bytes(buf, pos)
            value, pos = _read_bytes(buf, pos)
            meta[key.decode("utf-8", "replace")] = value
    if pos + _SYNC_SIZE > len(buf):
        raise DecodeError("Avro container is truncated (in its header)")
    return meta, pos + _SYNC_SIZE


def parse_embedded_schema(text: bytes) -> SchemaInfo:
    """An Avro container's writer schema (its JSON text), parsed."""
    try:
        return schema_info(fastavro.parse_schema(orjson.loads(text)), "avro-container")
    except Exception as exc:
        raise DecodeError(f"the embedded Avro schema is invalid: {exc}") from None


_JSON_START = (b"{", b"[", b" ", b"\n", b"\t", b"\r")
_JSON_SURVEYS = {  # a key only that survey's JSON alerts have -> its SchemaInfo
    "superevent_id": SchemaInfo("json", survey="lvk"),
    "diaSource": SchemaInfo("json", survey="lsst"),
    "candid": SchemaInfo("json", survey="ztf"),
}
_JSON = SchemaInfo("json")
Decoded = tuple[dict[str, Any], SchemaInfo]


class Decoder:
    """Turns a message's bytes into one alert dict and how it was encoded.

    ``registry`` holds schemas for wire-format messages; ``schemaless`` (a parsed schema)
    reads messages that are bare Avro records.
    """

    def __init__(
        self, registry: SchemaRegistry | None = None, schemaless: SchemaInfo | None = None
    ) -> None:
        # Embedded schemas by their text, each parsed once (bounded: memory stays flat).
        self.schemas = BoundedCache(parse_embedded_schema)
        self.registry = registry or SchemaRegistry()
        self.schemaless = schemaless

    def decode(self, data: bytes) -> Decoded:
        if data.startswith(AVRO_MAGIC):
            return self.decode_container(data)
        if data[:1] in _JSON_START:
            record = decode_json(data)
            return record, next((v for k, v in _JSON_SURVEYS.items() if k in record), _JSON)
        if self.schemaless is not None:
            return _read_record(data, self.schemaless), self.schemaless
        if data[:1] == b"\x00" and len(data) >= 5:
            info = self.registry.get(int.from_bytes(data[1:5], "big"))
            return _read_record(memoryview(data)[5:], info), info
        raise DecodeError(f"unrecognised message encoding ({_first_bytes(data)})")

    def decode_all(self, data: bytes) -> list[Decoded]:
        """Every alert in ``data``: a local Avro file may hold many, a message holds one.
        Read with the cached parsed schema: ``fastavro.reader`` parses each file's schema
        again, a third of a ZTF alert's decoding time."""
        if not data.startswith(AVRO_MAGIC):
            return [self.decode(data)]
        meta, pos = read_container_header(data)
        schema_text = meta.get("avro.schema")
        if schema_text is None:
            raise DecodeError("Avro container has no embedded schema")
        info = self.schemas(schema_text)
        codec = meta.get("avro.codec", b"null")
        if codec not in (b"null", b"deflate"):
            try:
                return [(_as_record(r), info) for r in fastavro.reader(io.BytesIO(data))]
            except Exception as exc:
                raise DecodeError(f"cannot read Avro container: {exc!r}") from None
        sync = data[pos - _SYNC_SIZE : pos]
        decoded: list[Decoded] = []
        while pos < len(data):
            count, pos = _read_long(data, pos)
            block, pos = _read_bytes(data, pos)
            if count < 0 or (count == 0 and block):
                raise DecodeError(f"Avro block has a bad record count ({count})")
            if data[pos : pos + _SYNC_SIZE] != sync:
                raise DecodeError("Avro container is truncated or its sync marker is wrong")
            pos += _SYNC_SIZE
            if codec == b"deflate":
                block = _inflate(block)
            decoded += [(record, info) for record in _read_records(block, count, info)]
        return decoded

    def decode_container(self, data: bytes) -> Decoded:
        meta, pos = read_container_header(data)
        schema_text = meta.get("avro.schema")
        if schema_text is None:
            raise DecodeError("Avro container has no embedded schema")
        info = self.schemas(schema_text)
        count, pos = _read_long(data, pos)
        block, pos = _read_bytes(data, pos)
        total = count + _count_more_records(data, pos + _SYNC_SIZE)
        if total != 1:
            raise DecodeError(f"Avro container holds {total} records; pgb expects one alert")
        codec = meta.get("avro.codec", b"null")
        if codec == b"deflate":
            block = _inflate(block)
        elif codec != b"null":
            return _read_with_fastavro(data), info
        return _read_record(block, info), info


def _read_record(body: bytes | memoryview, info: SchemaInfo) -> dict[str, Any]:
    return _read_records(body, 1, info)[0]


def _read_records(body: bytes | memoryview, count: int, info: SchemaInfo) -> list[dict[str, Any]]:
    """The ``count`` records that make up ``body``, every byte of it."""
    buffer = io.BytesIO(body)
    try:
        records = [fastavro.schemaless_reader(buffer, info.schema) for _ in range(count)]
    except Exception as exc:
        raise DecodeError(f"Avro record does not match its schema: {exc!r}") from None
    if buffer.tell() != len(body):
        raise DecodeError(
            f"Avro record ends after {buffer.tell()} of {len(body)} bytes: wrong schema?"
        )
    return [_as_record(record) for record in records]


def _first_bytes(data: bytes) -> str:
    """How ``data`` starts, for a person: text as text (a README given by mistake), else hex."""
    head = data[:16]
    if not head:
        return "first bytes: nothing"
    if all(32 <= byte < 127 or byte in b"\t\n\r" for byte in head):
        return f"it starts with text: {head.decode('ascii')!r}"
    return f"first bytes: {head[:8].hex(' ')}"


def _inflate(block: bytes) -> bytes:
    """A block of the deflate codec: raw deflate, no zlib header."""
    try:
        return zlib.decompress(block, -15)
    except zlib.error as exc:
        raise DecodeError(f"Avro block does not inflate: {exc}") from None


def _count_more_records(data: bytes, pos: int) -> int:
    """Records in the blocks after the first (writers start a new block every ~16 KB)."""
    total = 0
    while pos < len(data):
        count, pos = _read_long(data, pos)
        size, pos = _read_long(data, pos)
        total += count
        pos += size + _SYNC_SIZE
    return total


def _read_with_fastavro(data: bytes) -> dict[str, Any]:
    """Codecs other than null/deflate (snappy, zstandard...): slower, but correct."""
    try:
        records = list(fastavro.reader(io.BytesIO(data)))
    except Exception as exc:
        raise DecodeError(f"cannot read Avro container: {exc!r}") from None
    if len(records) != 1:
        raise DecodeError(f"Avro container holds {len(records)} records; pgb expects one")
    return _as_record(records[0])


def _as_record(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError(f"the alert is a {type(value).__name__}, not an Avro record")
    return value


def decode_json(data: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DecodeError("JSON message is not an object")
    return value
