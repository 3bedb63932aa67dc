"""The dead-letter folder, read back: what is there and why (``pgb dead-letter list``), and
each message decoded, filtered and written again (``pgb dead-letter replay``), for example
after adding the schema folder it lacked. A message replayed is removed from the folder
only once its output is closed; one that fails again stays, with the new reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.engine import build
from pittgoogle_cli.engine.settings import DecodeOutcome, DecodeSettings
from pittgoogle_cli.outputs.dead_letter import DeadLetterFolder, default_dead_letter_dir
from pittgoogle_cli.packets.models import Counts, LocalMessage, Message

_BATCH = 100


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One kept message: its bytes' file and what its sidecar says."""

    subscription: str
    path: Path  # the .bin
    message_id: str
    publish_time: str
    attributes: dict[str, str]
    error: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {
            "subscription": self.subscription,
            "messageId": self.message_id,
            "publishTime": self.publish_time,
            "attributes": self.attributes,
            "error": self.error,
            "size": self.size,
            "file": str(self.path),
        }

    def message(self) -> LocalMessage:
        return LocalMessage(
            self.path.read_bytes(),
            self.message_id,
            publish_time=self.publish_time,
            attributes=self.attributes,
            origin=str(self.path),
        )


def dead_letters(root: Path | None = None, subscription: str | None = None) -> Iterator[DeadLetter]:
    """The kept messages under ``root`` (default: the dead-letter folder pull uses), of one
    subscription or all, oldest publish time first within each subscription."""
    root = root or default_dead_letter_dir()
    if subscription is not None:
        folders = [root / subscription]
        if not folders[0].is_dir():
            raise ConfigError(f"no dead letters for {subscription} (no folder {folders[0]})")
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for folder in folders:
        found = [_read(folder, data) for data in folder.glob("*.bin")]
        yield from sorted(found, key=lambda d: (d.publish_time, d.message_id))


def _read(folder: Path, data: Path) -> DeadLetter:
    try:
        details = orjson.loads(data.with_suffix(".json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        details = {}  # the bytes are what matter; a lost sidecar loses only the context
    return DeadLetter(
        subscription=folder.name,
        path=data,
        message_id=str(details.get("messageId") or data.stem),
        publish_time=str(details.get("publishTime") or ""),
        attributes={str(k): str(v) for k, v in (details.get("attributes") or {}).items()},
        error=str(details.get("error") or "unknown (no .json beside it)"),
        size=data.stat().st_size,
    )


async def replay(
    settings: DecodeSettings,
    *,
    root: Path | None = None,
    subscription: str | None = None,
    out: str | Path | None = None,
) -> DecodeOutcome:
    """Decode, filter and write every kept message again; those handled (written or
    filtered out) leave the folder once the output is closed, the others stay with their
    new error. ``failed`` counts those."""
    outcome, counts = DecodeOutcome(), Counts()
    failed: set[str] = set()
    root = root or default_dead_letter_dir()

    def reject(message: Message, error: BaseException) -> None:
        origin = Path(getattr(message, "origin", ""))
        failed.add(str(origin))
        DeadLetterFolder(root, origin.parent.name).put(message, error)  # the new reason

    engine = build.file_engine(settings, reject, counts)
    kept = list(dead_letters(root, subscription))
    sink = build.open_output(settings, out, acked=False)
    async with build.started(engine):
        try:
            batch: list[Message] = []
            for letter in kept:
                outcome.files += 1
                batch.append(letter.message())
                if len(batch) >= _BATCH:
                    await engine.handle(batch, sink)
                    batch = []
            await engine.handle(batch, sink)
        finally:
            await sink.aclose()
    for letter in kept:  # written (or filtered out) and the output closed: not needed now
        if str(letter.path) not in failed:
            letter.path.with_suffix(".json").unlink(missing_ok=True)
            letter.path.unlink(missing_ok=True)
    outcome.written, outcome.filtered = counts.written, counts.filtered
    outcome.failed = len(failed)
    return outcome
