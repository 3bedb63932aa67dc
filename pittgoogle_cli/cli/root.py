"""The typer app and what every command shares: error mapping and stderr.

The exit codes are listed in ``cli.py`` and the README; each error class carries its own.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from pittgoogle_cli import __version__, config
from pittgoogle_cli._exceptions import OutputClosed, PgbError
from pittgoogle_cli.cli.help import PgbTyper

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup
if TYPE_CHECKING:
    from rich.console import Console

app = PgbTyper(
    name="pgb",
    help="Pull Pitt-Google's alert streams and write them as JSON lines.\n\n"
    "Examples:\n  pgb pull ztf-loop --max 10 | jq .objectId\n"
    "  pgb query --objectId ZTF18abcdefg > history.jsonl\n  pgb topics",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
T = TypeVar("T")

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pgb {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (never credentials).")
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Settings from [profiles.NAME] of config.toml (default: $PGB_PROFILE).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
) -> None:
    _state["debug"] = debug
    config.use_profile(profile)
    warnings.showwarning = _warning


def _warning(message: Warning | str, *args: object, **kwargs: object) -> None:
    """A warning (an unknown key in config.toml) as ``pgb: warning: ...``."""
    say(f"warning: {message}")


@functools.cache
def stderr() -> Console:
    """stderr as rich draws on it (the live progress line, tracebacks), made on first use:
    importing rich is ~50 ms of a start that a quiet pull need not spend."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def tell(message: str) -> None:
    """``message`` on stderr, as it is: through rich's console once there is one (a live
    progress line stays whole beneath it), else written plainly."""
    if stderr.cache_info().currsize:
        stderr().print(message, markup=False, emoji=False, soft_wrap=True)
    else:
        sys.stderr.write(f"{message}\n")
        sys.stderr.flush()


def say(message: str) -> None:
    """The one way pgb tells the user something: ``pgb: message`` on stderr."""
    tell(f"pgb: {message}")


def table(rows: list[list[str]]) -> None:
    """Columns padded to their widest cell, on stdout (a listing is the data)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        sys.stdout.write("  ".join(cells).rstrip() + "\n")


def json_lines(items: list[dict[str, Any]]) -> None:
    """One JSON object per line on stdout."""
    import orjson

    for item in items:
        sys.stdout.buffer.write(orjson.dumps(item) + b"\n")


def fail(message: str, code: int) -> NoReturn:
    say(message)
    raise typer.Exit(code)


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` on pgb's event loop and turn pgb's errors into ``pgb: ...`` and an
    exit code."""
    from pittgoogle_cli.engine.loop import run as run_loop

    try:
        return run_loop(main)
    except KeyboardInterrupt:  # before pgb's own handler was in place: nothing to ack yet
        fail("interrupted", 130)
    except BaseException as exc:
        error = _first_pgb_error(exc)
        if error is None:
            raise
        if _state["debug"]:
            stderr().print_exception(show_locals=False)
        if isinstance(error, OutputClosed):
            raise typer.Exit(error.exit_code) from None
        fail(str(error), error.exit_code)


def _first_pgb_error(exc: BaseException) -> PgbError | None:
    """anyio's task groups wrap errors in ExceptionGroups: find the one to report."""
    if isinstance(exc, PgbError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first_pgb_error(inner)
            if found is not None:
                return found
    return None
