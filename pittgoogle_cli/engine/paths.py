"""``--where`` and ``--fields`` paths checked against each alert schema the first time it
is seen: a misspelt field is a usage error (exit 2) that names the closest real one, not a
stream silently filtered (and acked) down to nothing. The rule is ``packets.paths``'."""

from __future__ import annotations

from collections.abc import Sequence

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.packets.cache import PerSchema
from pittgoogle_cli.packets.fields import MAIN_FIELDS
from pittgoogle_cli.packets.models import SchemaInfo
from pittgoogle_cli.packets.paths import Path, closest, known_paths, schema_paths

_LITE = {field.name.lower(): field.column for field in MAIN_FIELDS}  # looked up lower case
# ZTF's names for the main fields, and where LSST alerts keep them (``packets.fields``
# reads them so), with what differs: a ZTF user's first --fields on a Rubin stream.
_IN_LSST: dict[str, tuple[tuple[str, ...], str]] = {  # lower case: looked up so
    "objectid": (("diaObject.diaObjectId", "diaSource.diaObjectId"), ""),
    "candid": (("diaSourceId", "diaSource.diaSourceId"), ""),
    "candidate.ra": (("diaSource.ra",), ""),
    "candidate.dec": (("diaSource.dec",), ""),
    "candidate.jd": (("diaSource.midpointMjdTai",), "in MJD (TAI), not JD"),
    "candidate.magpsf": (("diaSource.psfFlux",), "a flux in nJy, not a magnitude"),
    "candidate.fid": (("diaSource.band",), ""),
    "prv_candidates[].magpsf": (("prvDiaSources[].psfFlux",), "a flux in nJy, not a magnitude"),
}


class PathCheck:
    """Call it with each alert's schema; ``ConfigError`` for a path no version has."""

    def __init__(self, where: Sequence[Path] = (), fields: Sequence[Path] = ()) -> None:
        self._wanted = [("--where", p) for p in where] + [("--fields", p) for p in fields]
        self._checked = PerSchema(self._check)

    def __call__(self, info: SchemaInfo) -> None:
        if self._wanted and info.schema is not None:  # JSON notices have no schema
            self._checked(info)

    def _check(self, info: SchemaInfo) -> bool:
        have = schema_paths(info.schema)
        known = have | known_paths(info.survey)
        for option, path in self._wanted:
            if path not in known:
                raise ConfigError(_unknown(option, path, info, known))
        return True


def _unknown(option: str, path: Path, info: SchemaInfo, known: frozenset[Path]) -> str:
    dotted = ".".join(path)
    version = f"v{info.version}" if info.version else ""
    alerts = " ".join(part for part in ((info.survey or "").upper(), version) if part)
    message = f"{option}: no field {dotted} in {alerts or 'these'} alerts"
    lite = _LITE.get(dotted.lower())
    if lite is not None and tuple(lite.split(".")) in known and lite.lower() != dotted.lower():
        return f"{message} ({option} reads the alert's own fields: did you mean {lite}?)"
    places, note = _IN_LSST.get((lite or dotted).lower(), ((), ""))
    there = [p for p in places if tuple(p.split(".")) in known]
    if info.survey == "lsst" and there:
        where = " or ".join(there) + (f", {note}" if note else "")
        return f"{message} (LSST alerts keep it in {where})"
    near = closest(path, known)
    if near and "[]" in near and option == "--where":
        listed = near.split("[]")[0]
        return f"{message} ({listed} is a list: --where cannot look into it, --fields {near} can)"
    return f"{message} (did you mean {near}?)" if near else message


def check_where(expression: str, survey: str = "ztf") -> None:
    """``expression`` as ``--where`` takes it, its paths checked against every known version
    of ``survey``'s alerts, before any alert is seen (a form's check): ``ConfigError``."""
    from pittgoogle_cli.filters.where import where_filter

    known = known_paths(survey)
    info = SchemaInfo("", survey=survey)
    for path in where_filter(expression).paths:
        if path not in known:
            raise ConfigError(_unknown("--where", path, info, known))
