"""The ``pgb`` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 done; 1 error; 2 bad usage or missing setting (e.g. no project);
3 credentials; 4 not found; 5 query over the cost cap; 6 permission denied;
7 service unreachable; 8 an output cannot be written (disk full); 130 SIGINT;
141 output closed (``| head``); 143 SIGTERM.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING


def _stopped(signum: int, frame: FrameType | None) -> None:
    os._exit(128 + signum)  # what the default action does, with the documented code


# A signal before a command put its own handler in place (start-up: nothing held yet) ends
# pgb at once as the default action would, but with exit code 130 or 143 rather than
# killed by a signal. Not an exception: raised in the middle of an import it can crash the
# interpreter. After the imports (and those of ``commands``) Ctrl-C is Python's
# KeyboardInterrupt again (``run`` turns it into exit 130); handlers the caller set are
# left alone.
_DEFAULTS = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
_EARLY = [s for s, default in _DEFAULTS.items() if signal.getsignal(s) is default]
for _signum in _EARLY:
    signal.signal(_signum, _stopped)

# httpx imports its own command line (click, rich, pygments' lexers: ~100 ms, a quarter of a
# short pull's CPU) when those are installed, and typer brings them. pgb never runs httpx's
# command; with this, ``from ._main import main`` fails and httpx defines a stand-in, as it
# does when they are missing. Only pgb's CLI does this: importing the library does not.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from pittgoogle_cli.cli.root import say  # noqa: E402

if signal.SIGINT in _EARLY:
    signal.signal(signal.SIGINT, signal.default_int_handler)

if TYPE_CHECKING:
    import typer

# Every command module (the order they register in), and each command on pgb's line with
# the modules that register it and what it holds. ``pgb pull ...`` imports ``cli.pull``
# alone: not the other commands' modules and what they bring (BigQuery, OAuth, SQLite,
# plots), nor does typer build their click commands (150 M instructions less for a
# 100-alert pull, of ~1.2 G of start-up; as much for ``pgb decode`` of nine files). Anything
# else (``pgb``, ``pgb --help``, a misspelt command, whose suggestion needs every name)
# loads them all. tests/test_cli_lazy.py holds each command alone to the whole app's.
_MODULES = ("auth", "config", "dead_letter", "decode", "plot", "pull", "query", "schema",
            "snapshot", "subscription")  # fmt: skip
_COMMANDS = {
    "auth": ("auth",),
    "completion": ("config",),
    "config": ("config",),
    "dead-letter": ("dead_letter",),
    "decode": ("decode",),
    "plot": ("plot",),
    "pull": ("pull",),
    "query": ("query",),
    "schema": ("decode", "schema"),
    "subscription": ("subscription", "snapshot"),
    "topics": ("subscription",),
}


def commands(name: str | None = None) -> typer.Typer:
    """pgb's typer app with the command ``name`` registered, or with all of them."""
    modules = [f"pittgoogle_cli.cli.{m}" for m in _COMMANDS.get(name or "", _MODULES)]
    if any(m not in sys.modules for m in modules):
        with _early_signals():
            for module in modules:
                importlib.import_module(module)
    from pittgoogle_cli.cli.root import app

    return app


@contextlib.contextmanager
def _early_signals() -> Iterator[None]:
    """Ctrl-C during the commands' imports ends pgb as one before them does (``_EARLY``)."""
    early = (
        signal.SIGINT in _EARLY and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if early and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stopped)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    else:
        yield


def __getattr__(name: str) -> typer.Typer:
    """``from pittgoogle_cli.cli import app``: the app with every command."""
    if name == "app":
        return commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_GLOBAL_FLAGS = ("--debug",)
_GLOBAL_VALUES = ("--profile",)


def main() -> None:
    """``pgb``: usage errors in pgb's one style, ``pgb: ...`` on stderr with exit code 2,
    the same on a terminal or not."""
    from typer import Abort
    from typer._click import exceptions

    front, rest = _split_global(sys.argv[1:])
    name = rest[0] if rest and rest[0] in _COMMANDS else None
    app = commands(name)
    try:
        code = app(args=front + rest, prog_name="pgb", standalone_mode=False)
    except exceptions.NoArgsIsHelpError as exc:  # `pgb` or `pgb auth` alone: its help
        sys.stderr.write(exc.format_message() + "\n")
        code = exc.exit_code
    except exceptions.ClickException as exc:
        say(_usage_message(exc, f"pgb {name}" if name else "pgb"))
        code = exc.exit_code
    except Abort:
        say("aborted")
        code = 1
    except KeyboardInterrupt:  # while typer built the command, before ``run`` took it
        say("interrupted")
        code = 130
    except BrokenPipeError:  # `pgb --help | head -3`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    sys.exit(code if isinstance(code, int) else 0)


# click's names for what an option takes, as a person says them
_KINDS = {"int range": "a whole number", "integer": "a whole number",
          "float range": "a number", "float": "a number"}  # fmt: skip


# Options of `pgb pull` a user reaches for on a command that has none, and what to do there
_INSTEAD = {
    ("pgb decode", "--max"): "pgb decode reads every alert it is given: "
    "`pgb decode ... | head -n N` keeps the first N",
}


def _usage_message(exc: Exception, command: str = "pgb") -> str:
    """``no such option: --nope (Possible options: ...); see `pgb pull --help```. An error
    click raises without its command (``--max`` with no value) points at ``command``."""
    from typer._click import exceptions

    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    text = text.rstrip(".")
    context = getattr(exc, "ctx", None)
    if isinstance(exc, exceptions.NoSuchOption) and context is not None:
        instead = _INSTEAD.get((context.command_path, exc.option_name))
        if instead:
            text = f"no such option: {exc.option_name} ({instead})"
    if ". Did you mean " in text:  # "no such command 'pul'. Did you mean 'pull'?"
        text = text.replace(". Did you mean ", " (did you mean ", 1) + ")"
    for kind, words in _KINDS.items():
        text = text.replace(f"is not a valid {kind}", f"is not {words}")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    text += f"; see `{context.command_path if context is not None else command} --help`"
    return text


def global_options_first(args: list[str]) -> list[str]:
    """``--debug`` and ``--profile NAME`` wherever they are on the line (before a ``--``),
    moved in front of the command, where click expects them."""
    front, rest = _split_global(args)
    return front + rest


def _split_global(args: list[str]) -> tuple[list[str], list[str]]:
    """The line's global options, and the rest of it in its order."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg in _GLOBAL_FLAGS or (arg.split("=", 1)[0] in _GLOBAL_VALUES and "=" in arg):
            front.append(arg)
        elif arg in _GLOBAL_VALUES and index + 1 < len(args):
            front += args[index : index + 2]
            index += 1
        else:
            rest.append(arg)
        index += 1
    return front, rest
