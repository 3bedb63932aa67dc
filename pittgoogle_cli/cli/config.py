"""``pgb config show`` and ``pgb config set``: the settings file, and where each setting
comes from."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer

from pittgoogle_cli import config, config_write
from pittgoogle_cli._exceptions import ConfigError
from pittgoogle_cli.cli import options as opt
from pittgoogle_cli.cli.help import PgbTyper
from pittgoogle_cli.cli.root import app, fail, json_lines, say, table

settings = PgbTyper(
    help="Your settings (config.toml): profiles, defaults, where each comes from.",
    no_args_is_help=True,
)
app.add_typer(settings, name="config")


@settings.command()
def show(as_json: opt.Json = False) -> None:
    """Each setting as pgb resolves it now, and where it came from (secrets masked).

    The order: a command's flag, the environment, the profile (--profile NAME or
    $PGB_PROFILE), the top of config.toml, pgb's default.

    Example: pgb --profile observatory config show
    """
    try:
        found = config.resolved_all()
    except ConfigError as exc:
        fail(str(exc), exc.exit_code)
    profile = config.active_profile()
    if not as_json:
        say(f"settings file {config.config_path()}, profile {profile or '(none)'}")
        rows = [[r.key, r.shown, r.source] for r in found]
        table([["SETTING", "VALUE", "FROM"], *rows])
        return
    json_lines([{"setting": r.key, "value": r.shown, "from": r.source} for r in found])


@settings.command("set")
def set_(
    key: Annotated[str, typer.Argument(metavar="KEY", help="One of the settings `show` lists.")],
    value: Annotated[
        str,
        typer.Argument(
            metavar="VALUE", help="- reads it from stdin (a secret); schema_dirs: DIR:DIR."
        ),
    ],
) -> None:
    """Write KEY = VALUE to config.toml: at its top, or in the profile named with
    --profile (or $PGB_PROFILE). The file keeps its comments and is private to you (0600).

    Examples:
      pgb config set project my-project
      pgb --profile obs config set out night.jsonl
      pgb config set oauth_client_secret - < secret.txt
    """
    profile = config.active_profile()
    if value == "-":  # a secret kept out of the shell's history
        value = sys.stdin.readline().strip()
    try:
        path = config_write.set_value(key, value, profile=profile)
    except ConfigError as exc:
        fail(str(exc), exc.exit_code)
    where = f"[profiles.{profile}]" if profile else "the top"
    say(f"{key} set in {where} of {path}")


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command()
def completion(
    shell: Annotated[Shell, typer.Argument(help="Your shell.")],
) -> None:
    """Print the shell completion script for pgb (what --install-completion installs).

    Examples:
      pgb completion bash >> ~/.bashrc
      pgb completion zsh > ~/.zfunc/_pgb
      pgb completion fish > ~/.config/fish/completions/pgb.fish
    """
    from typer._completion_shared import get_completion_script  # what --show-completion prints

    script = get_completion_script(prog_name="pgb", complete_var="_PGB_COMPLETE", shell=shell.value)
    sys.stdout.write(script.rstrip("\n") + "\n")
