"""The ``pgb`` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 done; 1 error; 2 bad usage or missing setting (e.g. no project);
3 credentials; 4 not found; 5 query over the cost cap; 6 permission denied;
7 service unreachable; 8 an output cannot be written (disk full); 130 SIGINT;
141 output closed (``| head``); 143 SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _stopped(signum: int, frame: FrameType | None) -> None:
    os._exit(128 + signum)  # what the default action does, with the documented code


# A signal before a command put its own handler in place (start-up: nothing held yet) ends
# pgb at once as the default action would, but with exit code 130 or 143 rather than
# killed by a signal. Not an exception: raised in the middle of an import it can crash the
# interpreter. After the imports Ctrl-C is Python's KeyboardInterrupt again (``run`` turns
# it into exit 130); handlers the caller set are left alone.
_DEFAULTS = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
_EARLY = [s for s, default in _DEFAULTS.items() if signal.getsignal(s) is default]
for _signum in _EARLY:
    signal.signal(_signum, _stopped)

# httpx imports its own command line (click, rich, pygments' lexers: ~100 ms, a quarter of a
# short pull's CPU) when those are installed, and typer brings them. pgb never runs httpx's
# command; with this, ``from ._main import main`` fails and httpx defines a stand-in, as it
# does when they are missing. Only pgb's CLI does this: importing the library does not.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from pittgoogle_cli.cli import (  # noqa: E402
    auth,  # noqa: F401  (each module registers its commands)
    config,  # noqa: F401
    dead_letter,  # noqa: F401
    decode,  # noqa: F401
    plot,  # noqa: F401
    pull,  # noqa: F401
    query,  # noqa: F401
    schema,  # noqa: F401
    snapshot,  # noqa: F401
    subscription,  # noqa: F401
)
from pittgoogle_cli.cli.app import app, say  # noqa: E402

if signal.SIGINT in _EARLY:
    signal.signal(signal.SIGINT, signal.default_int_handler)


_GLOBAL_FLAGS = ("--debug",)
_GLOBAL_VALUES = ("--profile",)


def main() -> None:
    """``pgb``: usage errors in pgb's one style, ``pgb: ...`` on stderr with exit code 2,
    the same on a terminal or not."""
    from typer import Abort
    from typer._click import exceptions

    try:
        code = app(args=global_options_first(sys.argv[1:]), prog_name="pgb", standalone_mode=False)
    except exceptions.NoArgsIsHelpError as exc:  # `pgb` or `pgb auth` alone: its help
        sys.stderr.write(exc.format_message() + "\n")
        code = exc.exit_code
    except exceptions.ClickException as exc:
        say(_usage_message(exc))
        code = exc.exit_code
    except Abort:
        say("aborted")
        code = 1
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


def _usage_message(exc: Exception) -> str:
    """``no such option: --nope (Possible options: ...); see `pgb pull --help```."""
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
    if context is not None:
        text += f"; see `{context.command_path} --help`"
    return text


def global_options_first(args: list[str]) -> list[str]:
    """``--debug`` and ``--profile NAME`` wherever they are on the line (before a ``--``),
    moved in front of the command, where click expects them."""
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
    return front + rest
