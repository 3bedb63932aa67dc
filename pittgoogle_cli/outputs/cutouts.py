"""``--cutouts DIR``: each alert's FITS cutouts as files, durable before the alert's line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anyio

from pittgoogle_cli.outputs.base import Sink
from pittgoogle_cli.outputs.files import fsync_dirs, write_atomic
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.names import cutout_name
from pittgoogle_cli.shapes.shape import cutouts


class CutoutFolderSink:
    """Writes the cutouts of a batch into ``folder`` (``<objectId>_<candid>_<kind>.fits.gz``,
    ready for ``astropy.io.fits.open``), then hands the batch to the next sink, whose JSON
    carries each file's path in place of the bytes."""

    def __init__(self, folder: Path, inner: Sink) -> None:
        self.folder = folder
        self.inner = inner

    def _write_files(self, alerts: Sequence[Alert]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for alert in alerts:
            for kind, data in cutouts(alert.record).items():
                write_atomic(self.folder / cutout_name(alert.record, kind, data), data)
        fsync_dirs([self.folder])

    async def write(self, alerts: Sequence[Alert]) -> None:
        await anyio.to_thread.run_sync(self._write_files, alerts)
        await self.inner.write(alerts)

    async def aclose(self) -> None:
        await self.inner.aclose()
