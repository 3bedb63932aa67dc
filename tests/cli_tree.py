"""A click command as a user meets it, comparable across processes (``test_cli_lazy``).
It imports nothing of pgb's: the probe that uses it must load only what a command does."""

from __future__ import annotations

from typing import Any

from typer._click.core import Command
from typer.core import TyperGroup


def tree(command: Command) -> dict[str, Any]:
    """What a user meets of a command: its help, its options and arguments, its commands."""
    params = [
        (p.name, p.opts, p.secondary_opts, p.required, type(p.type).__name__, p.type.name,
         getattr(p, "help", None))
        for p in command.params
    ]  # fmt: skip
    described: dict[str, Any] = {"help": command.help, "hidden": command.hidden, "params": params}
    if isinstance(command, TyperGroup):
        described["commands"] = {n: tree(c) for n, c in sorted(command.commands.items())}
    return described
