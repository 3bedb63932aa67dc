"""User filters named on the command line (``--filter SPEC``).

A filter takes the alert dict and returns it (possibly changed) or None to drop it;
``async def`` filters are awaited (see ``filters.base``). ``--filter SPEC`` is

- ``module:function``: imports that module (from ``sys.path``, which, for the ``pgb``
  command, does not hold the current folder: give a file path for a file here);
- ``path/to/file.py:function``: loads that file as a module of its own (its folder is not
  put on ``sys.path``); a spec with a ``/`` or ending in ``.py`` is a path;
- ``name``: a filter a package offers in the entry-point group ``pgb.filters``, e.g.
  ``[project.entry-points."pgb.filters"] bright = "mypkg.filters:bright"``.

``function`` may be dotted (``module:Class.method``). Code is imported only when a spec
names it; no folder is scanned. Loading problems are ``ConfigError`` (exit 2) before any
alert is pulled; a filter that raises on an alert is the pipeline's business (that alert is
dead-lettered with the traceback).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import os
import reprlib
import sys
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import cast

from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.filters.base import Filter

ENTRY_POINT_GROUP = "pgb.filters"
_FORMS = "give module:function, path/to/file.py:function or the name of an installed filter"


def load_filters(specs: Iterable[str]) -> list[Filter]:
    """The filters ``specs`` name, in the same order."""
    return [load_filter(spec) for spec in specs]


def load_filter(spec: str) -> Filter:
    """The callable ``spec`` names; ``ConfigError`` if it cannot be loaded or called."""
    target, colon, attribute = spec.strip().rpartition(":")
    if not spec.strip():
        raise ConfigError(f"--filter {spec!r}: {_FORMS}")
    if not colon:
        found = _from_entry_point(spec.strip())
    elif not target or not all(part.isidentifier() for part in attribute.split(".")):
        raise ConfigError(f"--filter {spec!r}: {_FORMS}")
    elif target.endswith(".py") or "/" in target or os.sep in target:
        found = _attribute(_load_file(spec, Path(target)), attribute, spec, target)
    else:
        found = _attribute(_import_module(spec, target), attribute, spec, target)
    if not callable(found):
        raise ConfigError(f"--filter {spec!r}: that is not callable: {reprlib.repr(found)}")
    return cast("Filter", found)


def _import_module(spec: str, name: str) -> ModuleType:
    if name.startswith("."):
        raise ConfigError(f"--filter {spec!r}: give the module's full name, not a relative one")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(f"{exc.name}.")):
            hint = f"for a file, give its path: ./{name.replace('.', '/')}.py:function"
            raise ConfigError(f"--filter {spec!r}: no module named {name!r} ({hint})") from None
        raise _import_failed(spec, name, exc) from exc
    except (Exception, SystemExit) as exc:  # the user's module ran and failed
        raise _import_failed(spec, name, exc) from exc


def _load_file(spec: str, path: Path) -> ModuleType:
    if not path.is_file():
        raise ConfigError(f"--filter {spec!r}: no such file: {path}")
    if path.suffix != ".py":
        raise ConfigError(f"--filter {spec!r}: {path} is not a .py file")
    resolved = path.resolve()
    # One module per file, whatever path names it: two specs on one file share its state.
    name = f"_pgb_filter_{resolved.stem}_{hashlib.sha256(bytes(resolved)).hexdigest()[:12]}"
    if name in sys.modules:
        return sys.modules[name]
    loader_spec = importlib.util.spec_from_file_location(name, resolved)
    if loader_spec is None or loader_spec.loader is None:
        raise ConfigError(f"--filter {spec!r}: cannot load {path}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module  # dataclasses and pickle look the module up there
    try:
        loader_spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise _import_failed(spec, str(path), exc) from exc
    return module


def _import_failed(spec: str, what: str, exc: BaseException) -> ConfigError:
    return ConfigError(f"--filter {spec!r}: importing {what} failed: {_summary(exc)}")


def _summary(exc: BaseException) -> str:
    """The exception in one line, as the last line of its traceback shows it."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _attribute(module: ModuleType, dotted: str, spec: str, label: str) -> object:
    found: object = module
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        try:
            found = getattr(found, part)
        except AttributeError:
            close = difflib.get_close_matches(part, dir(found), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            owner = f"{label}:{'.'.join(parts[:index])}" if index else label
            raise ConfigError(f"--filter {spec!r}: {owner} has no {part!r}{hint}") from None
    return found


def _from_entry_point(name: str) -> object:
    installed = entry_points(group=ENTRY_POINT_GROUP)
    matches = {ep.value: ep for ep in installed if ep.name == name}
    if not matches:
        hint = _FORMS
        if name.endswith(".py") or "/" in name:
            hint = f"name the function too: {name}:function"
        known = sorted({ep.name for ep in installed})
        listed = f"installed: {', '.join(known)}" if known else "none is installed"
        raise ConfigError(
            f"--filter {name!r}: no filter of that name in {ENTRY_POINT_GROUP} ({listed}); {hint}"
        )
    if len(matches) > 1:
        offered = ", ".join(sorted(matches))
        raise ConfigError(f"--filter {name!r}: two packages offer it ({offered}); give one")
    return _load_entry_point(name, next(iter(matches.values())))


def _load_entry_point(name: str, ep: EntryPoint) -> object:
    try:
        return ep.load()
    except (Exception, SystemExit) as exc:
        raise ConfigError(
            f"--filter {name!r}: loading {ep.value} (entry point) failed: {_summary(exc)}"
        ) from exc
