"""Avro container files one after another in a stream (``cat *.avro | pgb decode -``), cut
apart without decoding them, so that each is its own message and one bad alert costs
only itself.

A container is the magic ``Obj\\x01``, a metadata map, a 16-byte sync marker, then blocks
(record count, byte size, the records, the sync marker). A block's record count is never
negative, so its first byte is never ``O`` (0x4f, the varint of -40): after a block, an
``O`` can only start the next container's magic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from pittgoogle_cli._exceptions import DecodeError
from pittgoogle_cli.packets.decode import AVRO_MAGIC

_SYNC_SIZE = 16
_SCAN_CHUNK = 1 << 16  # bytes read at a time looking for the next container after a spoilt one
_READ_CHUNK = 1 << 20  # the most read at once for one length


def split_containers(stream: BinaryIO) -> Iterator[bytes]:
    """Each Avro container in ``stream``, as its bytes; a stream that does not start with
    one (a wire-format packet, a JSON notice) is one piece. A container that is cut short
    or malformed is a piece up to the next container's magic (its decoding then says what
    is wrong), and the containers after it are pieces of their own."""
    source = _Rewindable(stream)
    start = source.read(len(AVRO_MAGIC))
    if start != AVRO_MAGIC:
        yield start + stream.read()
        return
    while start:
        if start != AVRO_MAGIC:  # after a whole container, bytes that start none
            spoilt, start = _up_to_next_magic(start, source, 0)
            yield spoilt
            continue
        container = _Container(source, start)
        try:
            start = container.read()
        except DecodeError:
            spoilt, start = _up_to_next_magic(container.taken(), source, len(AVRO_MAGIC))
            yield spoilt  # never empty: it holds at least its own magic
            continue
        yield container.taken()


def _up_to_next_magic(taken: bytes, source: _Rewindable, searched: int) -> tuple[bytes, bytes]:
    """Spoilt bytes (those read, and on to the next magic) and that magic (b"" at the end).
    A cut-short container has read into the next one: that part is given back to
    ``source``. Searched from ``searched`` (after the spoilt container's own magic); gzipped
    cutouts could hold the four bytes, which then only cut the spoilt piece in two."""
    buffer = bytearray(taken)
    while True:
        at = buffer.find(AVRO_MAGIC, searched)
        if at >= 0:
            source.give_back(bytes(buffer[at + len(AVRO_MAGIC) :]))
            return bytes(buffer[:at]), AVRO_MAGIC
        searched = max(searched, len(buffer) - len(AVRO_MAGIC) + 1)
        more = source.read(_SCAN_CHUNK)
        if not more:
            return bytes(buffer), b""
        buffer += more


class _Rewindable:
    """A stream that bytes read too far can be given back to; ``read`` hands over all it
    is asked for, fewer only at the stream's end (a raw pipe hands over what it has)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._back = b""
        self._at = 0  # how much of _back was read again: no copy of the rest per read

    def give_back(self, data: bytes) -> None:
        self._back, self._at = data + self._back[self._at :], 0

    def read(self, size: int) -> bytes:
        data = self._back[self._at : self._at + size]
        self._at += len(data)
        if self._at >= len(self._back):
            self._back, self._at = b"", 0
        while len(data) < size:
            more = self._stream.read(size - len(data))
            if not more:
                break
            data += more
        return data


class _Container:
    """One container read from ``stream``, keeping every byte it read."""

    def __init__(self, stream: _Rewindable, magic: bytes) -> None:
        self._stream = stream
        self._taken = bytearray(magic)

    def taken(self) -> bytes:
        return bytes(self._taken)

    def read(self) -> bytes:
        """Read to the container's end: the next four bytes from an ``O`` on (the next
        container's magic, if they are one), or b"" at the end."""
        self._metadata()
        sync = self._exactly(_SYNC_SIZE)
        while True:
            first = self._stream.read(1)
            if not first:
                return b""
            if first == AVRO_MAGIC[:1]:  # the next container's magic, or not (the caller sees)
                return first + self._stream.read(len(AVRO_MAGIC) - 1)
            self._taken += first
            count = self._long(first)
            size = self._long()
            if count < 0 or size < 0:
                raise DecodeError("Avro container has a malformed block")
            self._exactly(size, keep=False)
            if self._exactly(_SYNC_SIZE) != sync:
                raise DecodeError("Avro container's sync marker does not match")

    def _metadata(self) -> None:
        while True:
            count = self._long()
            if count == 0:
                return
            if count < 0:  # a negative count is followed by the block's size in bytes
                count = -count
                self._long()
            for _ in range(2 * count):  # a key and a value each
                self._exactly(self._long())

    def _exactly(self, size: int, *, keep: bool = True) -> bytes:
        """The next ``size`` bytes (b"" unless ``keep``), read a chunk at a time: a length
        that no container has (2**40) is found truncated, not allocated up front."""
        if size < 0:
            raise DecodeError("Avro container has a negative length")
        start = len(self._taken)
        while (got := len(self._taken) - start) < size:
            more = self._stream.read(min(size - got, _READ_CHUNK))
            if not more:
                raise DecodeError("Avro container is truncated")
            self._taken += more
        return bytes(self._taken[start:]) if keep else b""

    def _long(self, first: bytes = b"") -> int:
        """One zig-zag varint (its first byte already read, if ``first``)."""
        shift = accum = 0
        byte = first or self._exactly(1)
        while True:
            accum |= (byte[0] & 0x7F) << shift
            if not byte[0] & 0x80:
                return (accum >> 1) ^ -(accum & 1)
            shift += 7
            if shift > 63:
                raise DecodeError("Avro container has a malformed varint")
            byte = self._exactly(1)
