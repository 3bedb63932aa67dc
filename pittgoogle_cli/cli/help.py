"""pgb's help and usage errors: plain text that wraps at any width (never cut off with an
ellipsis, as rich's boxed tables are at 80 columns), metavars a person reads (``N``,
``SECONDS``, ``FILE``), options grouped by panel, and each command's examples last.

Every ``typer.Typer`` of pgb is a ``PgbTyper``: its commands and groups format themselves
here, and ``-h`` works like ``--help``. Help never imports rich, so it stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from typer._click import types as click_types
from typer.core import TyperCommand, TyperGroup

EXIT_CODES = [
    ("0", "done"),
    ("1", "error; or a filter raised on some alerts (kept in the dead-letter folder)"),
    ("2", "bad usage or missing setting (e.g. no project); a bad config.toml"),
    ("3", "credentials missing, expired or refused"),
    ("4", "not found (subscription, topic, schema id)"),
    ("5", "query over the cost cap"),
    ("6", "permission denied"),
    ("7", "service unreachable, after retries"),
    ("8", "an output cannot be written (disk full); nothing unwritten was acked"),
    ("130, 143", "stopped by SIGINT (Ctrl-C), SIGTERM"),
    ("141", "the reader of stdout went away (| head)"),
]
HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
_EXAMPLES = ("Example:", "Examples:")
# Seconds for every float option pgb has; counts for every int one.
_FLOAT = "SECONDS"
_INT = "N"
_BY_NAME = {
    "classtar_threshold": "T",
    "price_per_tib": "USD",
    "where": "EXPR",
    "fields": "FIELDS",
    "filters": "SPEC",
    "out": "PATH",
    "cutouts": "keep|drop|DIR",
}


class PgbTyper(typer.Typer):
    """``typer.Typer`` with pgb's help: plain, grouped, examples last, ``-h``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rich_markup_mode", None)
        kwargs.setdefault("cls", PgbGroup)
        kwargs.setdefault("context_settings", HELP_OPTIONS)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", PgbCommand)
        return super().command(*args, **kwargs)


def split_examples(text: str) -> tuple[str, list[str]]:
    """The help text and its example lines (``Example: ...`` or an ``Examples:`` block)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        for marker in _EXAMPLES:
            if stripped.startswith(marker):
                first = stripped[len(marker) :].strip()
                rest = [x.strip() for x in lines[index + 1 :] if x.strip()]
                return "\n".join(lines[:index]).rstrip(), [*([first] if first else []), *rest]
    return text, []


def metavar(param: Any) -> str | None:
    """What ``--option`` takes, in words: None for a flag."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    if param.metavar:
        return str(param.metavar)
    if param.param_type_name == "argument":
        return str(param.name).upper()
    if param.name in _BY_NAME:
        return _BY_NAME[param.name]
    kind = param.type  # the click type typer made of the annotation
    if hasattr(kind, "choices"):  # an Enum's
        return "|".join(str(getattr(c, "value", c)) for c in kind.choices)
    if isinstance(kind, click_types.IntParamType):
        return _INT
    if isinstance(kind, click_types.FloatParamType):
        return _FLOAT
    if hasattr(kind, "dir_okay"):  # a Path's
        if not kind.dir_okay:
            return "FILE"
        if not kind.file_okay:
            return "DIR"
        return "PATH"
    return str(param.name).upper()


def _record(param: Any) -> tuple[str, str]:
    if param.param_type_name == "argument":
        return metavar(param) or "", param.help or ""
    names = ", ".join(sorted(param.opts, key=len))
    if param.secondary_opts:
        names += " / " + ", ".join(param.secondary_opts)
    taken = metavar(param)
    label = f"{names} {taken}" if taken else names
    return label, (param.help or "") + _default(param)


def _default(param: Any) -> str:
    value = param.default
    if getattr(param, "is_flag", False) and not param.secondary_opts:
        return ""
    if value is None or value == () or value == [] or (value is False and not param.secondary_opts):
        return ""
    if param.secondary_opts:
        shown = param.opts[0] if value else param.secondary_opts[0]
        return f" [default: {shown.lstrip('-')}]"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Path):
        value = str(value)
    return f" [default: {value}]"


def _sections(command: Any, ctx: Any) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """("Arguments", rows), ("Options", rows), then each panel, in the order first seen."""
    panels: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False) or param.get_help_record(ctx) is None:
            continue
        if param.param_type_name == "argument":
            panel = "Arguments"
        else:
            panel = getattr(param, "rich_help_panel", None) or "Options"
        panels.setdefault(panel, []).append(_record(param))
    yield from ((name, rows) for name, rows in panels.items() if rows)


class _Formatting:
    """What commands and groups share: the text without its examples, the sections, and
    the examples at the end."""

    help: str | None

    def format_help_text(self, ctx: Any, formatter: Any) -> None:
        text, _ = split_examples(self.help or "")
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        for name, rows in _sections(self, ctx):
            with formatter.section(name):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        _, examples = split_examples(self.help or "")
        if examples:
            with formatter.section("Examples"):
                for line in examples:
                    formatter.write(f"{' ' * formatter.current_indent}{line}\n")
        epilog = getattr(self, "epilog", None)
        if epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(epilog)


class PgbCommand(_Formatting, TyperCommand):
    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``[OPTIONS] FILES...``, ``[OPTIONS] [SUBSCRIPTION]``: the arguments as named in
        the help below (typer writes ``{files}...``)."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                continue
            name = metavar(param) or str(param.name).upper()
            name = name if param.required else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces


class PgbGroup(_Formatting, TyperGroup):
    def format_options(self, ctx: Any, formatter: Any) -> None:
        _Formatting.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Each command with its first paragraph, whole (click cuts it at 45 characters)."""
        rows = []
        for command in self._visible(ctx):
            text = command.short_help or split_examples(command.help or "")[0]
            rows.append((command.name, " ".join(text.strip().split("\n\n")[0].split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        if not split_examples(self.help or "")[1]:  # a group: its commands' first examples
            found = [split_examples(c.help or "")[1][:1] for c in self._visible(ctx)]
            if examples := [e for first in found for e in first]:
                with formatter.section("Examples"):
                    for line in examples:
                        formatter.write(f"{' ' * formatter.current_indent}{line}\n")
        _Formatting.format_epilog(self, ctx, formatter)
        if ctx.parent is None:
            with formatter.section("Exit codes"):
                formatter.write_dl(EXIT_CODES)

    def _visible(self, ctx: Any) -> list[Any]:
        found = (self.get_command(ctx, name) for name in self.list_commands(ctx))
        return [c for c in found if c is not None and not c.hidden]
