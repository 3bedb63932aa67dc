"""Everything a pull or a decode can be asked to do, as keyword settings, and what a pull
says when it ends. The CLI's options map one to one onto these fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pittgoogle_cli import config
from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.filters.base import Filter
from pittgoogle_cli.packets.models import Counts
from pittgoogle_cli.pubsub.rest import PITT_GOOGLE_PROJECT
from pittgoogle_cli.shapes.shape import Cutouts, ShapeOptions

# jsonl and tom are JSON lines (tom: TOM Toolkit's alert fields); the others write files.
OutputFormat = Literal["jsonl", "tom", "avro", "sqlite", "parquet"]
# How long a pull rides out an outage by default: a night-long stream an hour, a bounded
# run (--max, --timeout, --until-empty: a cron job, a notebook) two minutes.
STREAMING_PATIENCE = 3600.0
BOUNDED_PATIENCE = 120.0
# Why a pull ended: --max reached, --timeout passed, --until-empty saw the backlog
# drained, a signal (SIGINT/SIGTERM, when the caller asked pgb to handle them), or the
# stream ended otherwise (the caller stopped it, or an error).
StopReason = Literal["max", "timeout", "drained", "signal", "interrupted"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeSettings:
    """How each alert is decoded, filtered, shaped and written (``pgb decode``).

    Filters run in this order: the classtar cut, ``where``, then each of ``filters`` (a
    callable, or a spec string such as ``"mypkg.filters:bright"``, loaded when used).
    """

    schema_dirs: Sequence[Path] = ()
    schema_file: Path | None = None
    classtar_threshold: float | None = None
    classtar: Literal["gt", "lt"] = "gt"
    where: str | None = None
    filters: Sequence[Filter | str] = ()
    lite: bool = False
    fields: str | Sequence[str] | None = None
    cutouts: Cutouts = "keep"
    envelope: bool = False
    int64_as_string: bool = False
    out: str | Path | None = None
    format: OutputFormat | None = None
    workers: int = 1  # > 1: decode, filter and render in that many processes (JSON lines)

    def shape(self) -> ShapeOptions:
        """The shape of each JSON line; ``ConfigError`` for shapes that exclude each other."""
        return ShapeOptions(
            lite=self.lite,
            fields=self.fields,
            cutouts=self.cutouts,
            tom=self.format == "tom",
            envelope=self.envelope,
            int64_as_string=self.int64_as_string,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PullSettings(DecodeSettings):
    """Everything ``pgb pull`` does: ``PullSettings("ztf-loop", max_alerts=100, ...)``.

    Stops after ``max_alerts`` written, after ``timeout`` seconds, or once the backlog is
    drained (``until_empty``); with none of these, it streams until stopped.
    """

    # None: the profile's (config.toml); the rest of these Nones: see pittgoogle_cli.config
    subscription: str | None = field(default=None, kw_only=False)
    project: str | None = None  # None: $GOOGLE_CLOUD_PROJECT, the profile's, the key's...
    credentials: Path | None = None  # None: $GOOGLE_APPLICATION_CREDENTIALS, profile, login...
    emulator_host: str | None = None  # None: $PUBSUB_EMULATOR_HOST
    topic: str | None = None  # for a new subscription; default: the subscription's id
    topic_project: str = PITT_GOOGLE_PROJECT
    create: bool = True
    concurrency: int = 4
    max_alerts: int | None = None
    timeout: float | None = None
    until_empty: bool = False
    empty_wait: float = 1.0
    dead_letter_dir: Path | None = None  # None: $PGB_DEAD_LETTER_DIR, else the state folder
    # How long to keep retrying while Pub/Sub is unreachable or failing (429, 5xx), start-up
    # included; None: an hour for a stream with no stop, two minutes for a bounded run.
    give_up_after: float | None = None
    request_timeout: float = 60.0  # seconds one HTTP request may take before it is retried
    # Look without consuming: nothing is acked; every alert pulled is held (leased, so none
    # comes twice in one run) and returned to the subscription when the run ends.
    no_ack: bool = False

    @property
    def patience(self) -> float:
        """``give_up_after``, or its default for this kind of run."""
        if self.give_up_after is not None:
            return self.give_up_after
        bounded = self.max_alerts is not None or self.timeout is not None or self.until_empty
        return BOUNDED_PATIENCE if bounded else STREAMING_PATIENCE

    def __post_init__(self) -> None:
        """The CLI's ranges, for callers from Python too; the profile's subscription."""
        if self.subscription is None:
            named = config.text("subscription")
            if named is None:
                raise ConfigError(
                    "no subscription: name one (pgb pull ztf-loop) or set a default with "
                    "`pgb config set subscription ztf-loop`"
                )
            object.__setattr__(self, "subscription", named)
        if self.max_alerts is not None and self.max_alerts < 1:
            raise ConfigError(f"max_alerts must be 1 or more, not {self.max_alerts}")
        if not 1 <= self.concurrency <= 64:
            raise ConfigError(f"concurrency must be between 1 and 64, not {self.concurrency}")
        if self.request_timeout <= 0:
            raise ConfigError(f"request_timeout must be positive, not {self.request_timeout}")
        for name in ("timeout", "empty_wait", "give_up_after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"{name} must not be negative, not {value}")


@dataclass(slots=True)
class PullOutcome:
    """What a pull did (``counts``) and why it stopped."""

    counts: Counts
    reason: StopReason = "interrupted"
    signal: int | None = None
    dead_letter_folder: Path | None = None


@dataclass(slots=True)
class DecodeOutcome:
    """What ``pgb decode`` did: files read, alerts written and filtered out, and failures
    (a file or an alert that could not be decoded or filtered)."""

    files: int = 0
    written: int = 0
    filtered: int = 0
    failed: int = 0
