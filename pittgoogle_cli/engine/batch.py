"""The one engine under ``pgb pull``, ``pgb.alerts()`` and ``pgb decode``: a batch of
messages is decoded, filtered (a message that fails either is set aside, never dropped
and never fatal), written, and the caller is told how many it may ack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio.lowlevel

from pittgoogle_cli._exceptions import DecodeError, FilterFailed, OutputClosed
from pittgoogle_cli.filters.base import Filter, FilterHealth, apply_filters
from pittgoogle_cli.outputs.base import Render, Sink, line_render
from pittgoogle_cli.packets.decode import Decoder
from pittgoogle_cli.packets.models import Alert, Counts, Message, SchemaInfo

Reject = Callable[[Message, Exception], object]
SLICE = 25  # messages decoded, filtered and written at a time (see ``Engine.handle``)


@dataclass(frozen=True, slots=True)
class Processed:
    """``kept``: (index in the batch, alert) of each alert to write; ``handled``: how many
    messages, from the start of the batch, are done with (kept, filtered out or set
    aside). The rest were not looked at (``room`` ran out, or the stream stopped)."""

    kept: list[tuple[int, Alert]]
    handled: int


class Engine:
    """Decode and filter with ``decoder`` and ``filters``; ``reject`` sets aside what
    fails (the dead-letter folder, or an error line for a local file). ``many``: a
    message may hold several alerts (a local Avro file), each its own alert. ``check``
    sees each alert's schema before the filters do (``--where``/``--fields`` paths): its
    ``ConfigError`` stops everything, with nothing of the batch acked.

    For a sink that writes lines (``outputs.base.line_render``: ``build.open_output``'s
    JSON lines), each kept alert is rendered at once and handed on as its line
    (``as_line``): the decoded record (750 to 4,500 Python objects, 80 to 280 KB, for the
    shipped ZTF alerts) is then freed before the next message is decoded, which reuses
    that memory while it is in the CPU's cache, instead of a slice's 25 records (~4 MB,
    more than a core's 1 MiB L2 cache here) waiting for the writer: ~15% less CPU an
    alert (README "Speed")."""

    def __init__(
        self,
        decoder: Decoder,
        filters: Sequence[Filter],
        reject: Reject,
        counts: Counts,
        *,
        many: bool = False,
        check: Callable[[SchemaInfo], None] | None = None,
    ) -> None:
        self.decoder, self.filters, self.counts = decoder, filters, counts
        self._reject, self._many = reject, many
        self._check = check or (lambda schema: None)
        self.health = FilterHealth()

    async def handle(
        self,
        messages: Sequence[Message],
        sink: Sink,
        *,
        room: int | None = None,
        stopped: Callable[[], bool] = lambda: False,
    ) -> int:
        """Process, then write what is kept (durable when this returns): the number of
        messages from the start of the batch that may now be acked. ``OutputClosed``
        says in ``handled`` how many may be acked all the same.

        A batch goes through in slices of ``SLICE``: the decoded alerts of a 100-message
        pull reply are ~14 MB (twice the messages), and memory then follows how full the
        replies are, which a backlog decides."""
        handled, written = 0, self.counts.written
        for start in range(0, len(messages), SLICE):
            part = messages[start : start + SLICE]
            left = None if room is None else room - (self.counts.written - written)
            done = await self._handle_slice(part, sink, room=left, stopped=stopped, at=start)
            handled += done
            if done < len(part):
                break
        return handled

    async def _handle_slice(
        self,
        messages: Sequence[Message],
        sink: Sink,
        *,
        room: int | None,
        stopped: Callable[[], bool],
        at: int,
    ) -> int:
        processed = await self.process(
            messages, room=room, stopped=stopped, render=line_render(sink)
        )
        kept = [alert for _, alert in processed.kept]
        if kept:
            try:
                await sink.write(kept)
            except OutputClosed as exc:  # the reader left: what it took may be acked
                self.counts.written += exc.taken
                untaken = processed.kept[exc.taken :]
                exc.handled = at + (untaken[0][0] if untaken else processed.handled)
                raise
            self.counts.written += len(kept)
        return processed.handled

    async def process(
        self,
        messages: Sequence[Message],
        *,
        room: int | None = None,
        stopped: Callable[[], bool] = lambda: False,
        render: Render | None = None,
    ) -> Processed:
        """Decode and filter until ``room`` alerts are kept or ``stopped()``; with
        ``render``, each kept alert is its line (``as_line``)."""
        kept: list[tuple[int, Alert]] = []
        handled = 0
        for index, message in enumerate(messages):
            if stopped() or (room is not None and len(kept) >= room):
                break
            for alert in await self._alerts(message, render):
                kept.append((index, alert))
            handled += 1
            if index % 16 == 15:
                await anyio.lowlevel.checkpoint()  # let pull replies in while we decode
        return Processed(kept, handled)

    async def _alerts(self, message: Message, render: Render | None = None) -> list[Alert]:
        """The alerts of one message that the filters keep (as lines, with ``render``);
        failures set aside."""
        try:
            decoded = self._decode(message)
        except DecodeError as exc:
            self._set_aside(message, exc)
            return []
        kept = []
        for alert in decoded:
            self._check(alert.schema)
            try:
                found = await apply_filters(alert, self.filters, self.health)
            except FilterFailed as exc:
                self._set_aside(message, exc)
                self.counts.filter_failures += 1
                continue
            if found is None:
                self.counts.filtered += 1
            elif render is not None:
                kept.append(as_line(message, render(found)))
            else:
                kept.append(found)
        return kept

    def _decode(self, message: Message) -> list[Alert]:
        data = message.data
        if not self._many:
            record, schema = self.decoder.decode(data)
            return [_alert(message, record, schema, data)]
        decoded = self.decoder.decode_all(data)
        if len(decoded) > 1:
            data = b""  # the file's bytes are not any one alert's
        return [_alert(message, record, schema, data) for record, schema in decoded]

    def _set_aside(self, message: Message, error: Exception) -> None:
        self._reject(message, error)
        self.counts.dead_lettered += 1


def _alert(message: Message, record: dict[str, Any], schema: SchemaInfo, data: bytes) -> Alert:
    return Alert(record, message.message_id, message.publish_time, message.attributes, data, schema)


def as_line(message: Message, line: bytes) -> Alert:
    """A kept alert, already rendered: its line travels as ``data`` (``line_of``)."""
    return Alert({}, message.message_id, message.publish_time, message.attributes, line)


def line_of(alert: Alert) -> bytes:
    """The render function of a sink given ``as_line``'s alerts."""
    return alert.data
