"""Live counters on stderr while pulling, only when stderr is a terminal, and not on the
terminal the alerts themselves are written to: a JSON line written there would land after
the counters' text (the lines scrolling by then show the progress, and the summary ends
the run)."""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.text import Text

from pittgoogle_cli.engine.pull import Progress

_WINDOW = 5.0  # seconds over which alerts/s is measured


class _Rate:
    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def __call__(self, written: int) -> float:
        now = time.monotonic()
        self._samples.append((now, written))
        while len(self._samples) > 2 and now - self._samples[0][0] > _WINDOW:
            self._samples.popleft()
        then, before = self._samples[0]
        return (written - before) / (now - then) if now > then else 0.0


def _line(stream: Progress, rate: _Rate) -> Text:
    c = stream.counts
    return Text.assemble(
        (f"{rate(c.written):7.1f} alerts/s", "bold cyan"),
        f"  written {c.written:,}  acked {c.acked:,}",
        f"  filtered {c.filtered:,}" if c.filtered else "",
        (f"  dead-lettered {c.dead_lettered:,}", "yellow") if c.dead_lettered else "",
        f"  held {stream.held:,}",
    )


@contextmanager
def live_progress(
    stream: Progress, console: Console, *, data_on_stdout: bool = True
) -> Iterator[None]:
    """The live line while the block runs. ``data_on_stdout``: the alerts go to stdout
    (not to ``--out FILE``), so no line when stdout is the console's terminal too."""
    if not console.is_terminal or (data_on_stdout and _is_stdout(console)):
        yield
        return
    rate = _Rate()
    with Live(
        console=console,
        refresh_per_second=4,
        transient=True,
        get_renderable=lambda: _line(stream, rate),
    ):
        yield


def _is_stdout(console: Console) -> bool:
    """Whether the console draws on the terminal stdout is (the same device, not only a
    terminal: a second terminal window is fine)."""
    try:
        drawn, data = os.fstat(console.file.fileno()), os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # a notebook's streams have no descriptor
        return False
    same = (drawn.st_dev, drawn.st_ino) == (data.st_dev, data.st_ino)
    return same and os.isatty(sys.stdout.fileno())
