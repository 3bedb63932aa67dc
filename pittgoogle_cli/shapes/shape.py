"""What each written alert looks like (``--lite``, ``--fields``, ``--cutouts``,
``--format tom``, ``--envelope``, ``--int64-as-string``), pure: an ``Alert`` in, its JSON
line out.

One *body* (the whole alert, ``--lite``, ``--fields`` or TOM's alert), then the
cutouts choice, then ``--envelope`` around it and ``--int64-as-string`` over it. Shapes
apply to JSON outputs (stdout, .jsonl, the SQLite JSON column); Avro and Parquet outputs
always keep the whole alert.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.packets import fields
from pittgoogle_cli.packets.models import Alert
from pittgoogle_cli.shapes.names import cutout_name
from pittgoogle_cli.shapes.render import envelope, exact_int, render_line
from pittgoogle_cli.shapes.tom import to_tom

CUTOUT_KINDS = ("cutoutScience", "cutoutTemplate", "cutoutDifference")
Shape = Callable[[Alert], Any]
# keep them (base64 in the JSON), drop them, or write them as files into a folder
Cutouts = Literal["keep", "drop"] | Path
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def lite(alert: Alert) -> dict[str, Any]:
    """The old TOM module's flat view, for any survey, plus the message's metadata."""
    return {
        **fields.main_fields(alert.record),
        "survey": alert.schema.survey,
        "messageId": alert.message_id,
        "publishTime": alert.publish_time,
        "attributes": dict(alert.attributes),
    }


def tom(alert: Alert) -> dict[str, Any]:
    """TOM Toolkit's generic alert fields (id, name, ra, dec, mag, score, timestamp, url)."""
    return to_tom(fields.main_fields(alert.record))


def parse_fields(spec: str | Sequence[str]) -> list[tuple[str, ...]]:
    """``objectId,candidate.magpsf`` -> [("objectId",), ("candidate", "magpsf")]."""
    parts = spec.split(",") if isinstance(spec, str) else spec
    paths = [part.strip() for part in parts if part.strip()]
    for path in paths:
        if not _FIELD.fullmatch(path):
            raise ConfigError(f"--fields: {path!r} is not a field path like candidate.magpsf")
    if not paths:
        raise ConfigError("--fields needs at least one field")
    return [tuple(path.split(".")) for path in paths]


def project(record: dict[str, Any], paths: Sequence[tuple[str, ...]]) -> dict[str, Any]:
    """Only the given paths, nested as in the alert; a missing field is null."""
    out: dict[str, Any] = {}
    for path in paths:
        value: Any = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        target = out
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
    return out


def cutouts(record: dict[str, Any]) -> dict[str, bytes]:
    """The FITS cutouts of an alert by kind (ZTF keeps them in ``stampData``)."""
    found = {}
    for kind in CUTOUT_KINDS:
        value = record.get(kind)
        if isinstance(value, dict):
            value = value.get("stampData")
        if isinstance(value, bytes):
            found[kind] = value
    return found


def without_cutouts(record: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    """The alert with each cutout replaced by null, or by its file's path in ``folder``."""
    present = cutouts(record)
    return {
        key: (str(folder / cutout_name(record, key, present[key])) if folder else None)
        if key in present
        else value
        for key, value in record.items()
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class ShapeOptions:
    """At most one body among ``lite``, ``fields`` and ``tom``; ``cutouts`` is "keep",
    "drop" or the folder they are written to (``--cutouts DIR``)."""

    lite: bool = False
    fields: str | Sequence[str] | None = None
    cutouts: Cutouts = "keep"
    tom: bool = False
    envelope: bool = False
    int64_as_string: bool = False

    def __post_init__(self) -> None:
        chosen = [name for name, on in self._bodies() if on]
        if len(chosen) > 1:
            raise ConfigError(f"{' and '.join(chosen)} each choose what a line holds: give one")
        if isinstance(self.cutouts, str) and self.cutouts not in ("keep", "drop"):
            object.__setattr__(self, "cutouts", Path(self.cutouts))  # a folder, by name

    def _bodies(self) -> list[tuple[str, bool]]:
        return [("--lite", self.lite), ("--fields", bool(self.fields)), ("--format tom", self.tom)]

    @property
    def cutout_folder(self) -> Path | None:
        return self.cutouts if isinstance(self.cutouts, Path) else None


def make_renderer(options: ShapeOptions) -> Callable[[Alert], bytes]:
    """One function from an alert to its JSON line, built once: the choices between shapes
    are made here, not per alert."""
    body = _body(options)
    if options.int64_as_string:
        shape = body
        body = lambda alert: big_ints_as_strings(shape(alert))  # noqa: E731
    if options.envelope:
        return lambda alert: render_line({**envelope(alert), "alert": body(alert)})
    if body is _whole:
        return lambda alert: render_line(alert.record)
    return lambda alert: render_line(body(alert))


def big_ints_as_strings(value: Any) -> Any:
    """Integers a double cannot hold exactly (ZTF's candid) as strings, for jq 1.6 and
    JavaScript, which would round them."""
    if isinstance(value, dict):
        return {key: big_ints_as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [big_ints_as_strings(item) for item in value]
    if type(value) is int:
        return exact_int(value)
    return value


def _whole(alert: Alert) -> dict[str, Any]:
    return alert.record


def _body(options: ShapeOptions) -> Shape:
    if options.tom:
        return tom
    if options.lite:
        return lite
    paths = parse_fields(options.fields) if options.fields else None
    folder, keep = options.cutout_folder, options.cutouts == "keep"
    if keep and paths is None:
        return _whole

    def shaped(alert: Alert) -> dict[str, Any]:
        record = alert.record if keep else without_cutouts(alert.record, folder)
        return project(record, paths) if paths is not None else record

    return shaped
