"""What each written alert looks like (``--lite``, ``--fields``, ``--cutouts``,
``--format tom``, ``--envelope``, ``--int64-as-string``), pure: an ``Alert`` in, its JSON
line out.

One *body* (the whole alert, ``--lite``, ``--fields`` or TOM's alert), then the
cutouts choice, then ``--envelope`` around it and ``--int64-as-string`` over it. Shapes
apply to JSON outputs (stdout, .jsonl, the SQLite JSON column); Avro and Parquet outputs
always keep the whole alert.
"""

from __future__ import annotations

import os
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
_NAME = r"[A-Za-z_][A-Za-z0-9_]*(\[\])*"
_FIELD = re.compile(rf"{_NAME}(\.{_NAME})*")


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
    """``objectId,candidate.magpsf,prv_candidates[].jd`` -> [("objectId",), ("candidate",
    "magpsf"), ("prv_candidates[]", "jd")]: ``[]`` steps into each item of a list."""
    parts = spec.split(",") if isinstance(spec, str) else spec
    paths = [part.strip() for part in parts if part.strip()]
    for path in paths:
        if not _FIELD.fullmatch(path):
            raise ConfigError(
                f"--fields: {path!r} is not a field path like candidate.magpsf or "
                "prv_candidates[].magpsf"
            )
    if not paths:
        raise ConfigError("--fields needs at least one field")
    found = [tuple(path.split(".")) for path in paths]
    _selection(found)  # a name asked for both as a list and not is refused here
    return found


# What --fields keeps of a record: per name, how many lists its value is (``[]`` steps) and
# what to keep of what is inside (None: all of it).
Selection = dict[str, tuple[int, "Selection | None"]]


def _selection(paths: Sequence[tuple[str, ...]]) -> Selection:
    top: Selection = {}
    for path in paths:
        level = top
        for index, step in enumerate(path):
            name, lists, last = step.rstrip("[]"), step.count("[]"), index == len(path) - 1
            known = level.get(name)
            if known is not None and known[1] is None:
                break  # the whole value is kept already: a deeper path adds nothing
            if known is None or last:
                level[name] = (lists, None if last else {})
            elif known[0] != lists:
                where = ".".join((*path[:index], name))
                raise ConfigError(f"--fields: {where} and {where}[] cannot both be kept")
            inner = level[name][1]
            if inner is None:
                break
            level = inner
    return top


def _keep(record: Any, selection: Selection) -> dict[str, Any]:
    found = record if isinstance(record, dict) else {}
    return {
        name: _items(found.get(name), lists, inner) for name, (lists, inner) in selection.items()
    }


def _items(value: Any, lists: int, inner: Selection | None) -> Any:
    if lists:  # a list's picked items; a null (or not a list) stays null
        if not isinstance(value, list):
            return None
        return [_items(item, lists - 1, inner) for item in value]
    return value if inner is None else _keep(value, inner)


def projector(paths: Sequence[tuple[str, ...]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Only the given paths, nested as in the alert, so a jq program written for the whole
    alert (``.prv_candidates[].magpsf``) reads the projection too. A missing field is null,
    and so is a list that is null; ``x`` and ``x.y`` together keep all of ``x``."""
    selection = _selection(paths)
    return lambda record: _keep(record, selection)


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


def cutouts_choice(value: str | Path) -> Cutouts:
    """``keep`` or ``drop`` in any case; a ``Path`` as it is; any other string is a folder
    only when it looks like one (``./Drop``, ``~/cutouts``, ``/tmp/c``) or is one already,
    so that ``--cutouts Drop`` is an error rather than a new folder named Drop."""
    if isinstance(value, Path):
        return value
    if value.lower() in ("keep", "drop"):
        return "keep" if value.lower() == "keep" else "drop"
    folder = Path(value).expanduser()
    if value and ("/" in value or os.sep in value or folder.is_dir()):
        return folder
    named = f" (./{value} for a folder named {value})" if value else ""
    raise ConfigError(f"--cutouts takes keep, drop or a folder path{named}")


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
        object.__setattr__(self, "cutouts", cutouts_choice(self.cutouts))

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

    pick = projector(paths) if paths is not None else None

    def shaped(alert: Alert) -> dict[str, Any]:
        record = alert.record if keep else without_cutouts(alert.record, folder)
        return pick(record) if pick is not None else record

    return shaped
