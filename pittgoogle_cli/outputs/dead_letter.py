"""The dead-letter folder: where a message that cannot be decoded or filtered is kept,
exactly as it came, with the reason, so that nothing is silently dropped."""

from __future__ import annotations

import traceback
import uuid
from pathlib import Path

import orjson
import platformdirs

from pittgoogle_cli import config
from pittgoogle_cli.outputs.base import writing
from pittgoogle_cli.outputs.files import write_atomic
from pittgoogle_cli.packets.models import Message
from pittgoogle_cli.shapes.names import safe_component


def default_dead_letter_dir() -> Path:
    """``$PGB_DEAD_LETTER_DIR``, else the platform's state folder: on Linux
    ``~/.local/state/pgb/dead-letter`` (``$XDG_STATE_HOME`` is honoured)."""
    configured = config.path("dead_letter_dir")
    if configured is not None:
        return configured
    return platformdirs.user_state_path("pgb") / "dead-letter"


class DeadLetterFolder:
    """Messages that could not be handled, each kept as two files in
    ``ROOT/SUBSCRIPTION/``: ``<messageId>.bin`` (the exact bytes) and ``<messageId>.json``
    (the error, traceback, attributes and publish time)."""

    def __init__(self, root: Path, subscription: str) -> None:
        self.folder = root / subscription

    def put(self, message: Message, error: BaseException) -> Path:
        """Keep ``message`` and why; ``OutputFailed`` when the folder cannot be written
        (the message is then not acked)."""
        with writing(f"the dead-letter folder {self.folder}"):
            return self._put(message, error)

    def _put(self, message: Message, error: BaseException) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = safe_component(message.message_id) or uuid.uuid4().hex
        details = {
            "error": f"{type(error).__name__}: {error}",
            "traceback": "".join(traceback.format_exception(error)),
            "messageId": message.message_id,
            "publishTime": message.publish_time,
            "attributes": dict(message.attributes),
            "size": len(message.data),
        }
        write_atomic(self.folder / f"{stem}.bin", message.data)
        path = self.folder / f"{stem}.json"
        write_atomic(path, orjson.dumps(details, option=orjson.OPT_INDENT_2))
        return path
