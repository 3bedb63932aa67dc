"""``pgb auth login|status|logout|print-token``.

Only ``print-token`` prints a token (to stdout, nothing else); everything else here is for
humans and goes to stderr, except ``status --json`` (data, stdout).
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from pittgoogle_cli.cli.help import PgbTyper
from pittgoogle_cli.cli.options import CredentialsOption, ProjectOption
from pittgoogle_cli.cli.root import app, run, say, tell

if TYPE_CHECKING:
    from pittgoogle_cli.auth.cache import Login
    from pittgoogle_cli.auth.resolve import AuthStatus, Checked

auth_app = PgbTyper(
    name="auth",
    help="Log in to Google, and see which credentials pgb uses.",
    no_args_is_help=True,
)
app.add_typer(auth_app)


@auth_app.command()
def login(
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="Do not open a browser; print the URL (e.g. over SSH)."),
    ] = False,
    port: Annotated[
        int,
        typer.Option(min=0, max=65535, help="Loopback port for Google's redirect (default: any)."),
    ] = 0,
) -> None:
    """Log in to Google in a browser once; pgb refreshes the login by itself afterwards.

    Examples:
      pgb auth login
      pgb auth login --no-browser --port 8085     # over SSH: forward that port
    """

    from pittgoogle_cli.auth import login as oauth_login

    async def main() -> Login:
        client = oauth_login.oauth_client()
        import webbrowser  # 30 ms of imports that only a login needs

        opener = None if no_browser else webbrowser.open
        return await oauth_login.login(client, open_browser=opener, tell=tell, port=port)

    done = run(main)
    say(f"logged in as {done.account or 'an unknown account'}; saved in {done.user.path}")


@auth_app.command()
def status(
    credentials: CredentialsOption = None,
    project: ProjectOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Which credentials pgb uses, for which account and project, until when (never a token).

    Examples:
      pgb auth status
      pgb auth status --credentials key.json --json
    """
    from pittgoogle_cli._exceptions import PgbError
    from pittgoogle_cli.auth.resolve import auth_status, failed_status

    async def main() -> AuthStatus:
        try:
            return await auth_status(credentials, project)
        except PgbError as exc:
            failed = failed_status(exc, credentials, project)
            if not failed.emulators:  # what was checked, then the error's `pgb: ...` line
                _show(failed, as_json)
                raise
            return failed  # on an emulator: not an error, said as such

    _show(run(main), as_json)


def _show(found: AuthStatus, as_json: bool) -> None:
    if as_json:
        shown = dataclasses.asdict(found) | {"needed_by": list(found.needed_by)}
        typer.echo(orjson.dumps(shown).decode())
    else:
        for line in status_lines(found):
            tell(line)
    if found.error is not None and found.emulators:
        for line in emulator_lines(found):
            say(line)
    elif found.emulators and not as_json:
        for line in emulator_lines(found):
            tell(f"note:    {line}")


def status_lines(found: AuthStatus) -> list[str]:
    """What was checked, in order, then (when they work) the credentials used."""
    lines = [f"{'checked:' if n == 1 else '':9}{n}. {check_line(c)}"
             for n, c in enumerate(found.checked, 1)]  # fmt: skip
    if found.error is not None:
        return lines
    expires = "unknown"
    if found.expires_at is not None:
        when = datetime.fromtimestamp(found.expires_at, timezone.utc)
        minutes = max(0, round((found.expires_at - time.time()) / 60))
        expires = f"{when:%Y-%m-%d %H:%M:%S} UTC (in {minutes} min; renewed by itself)"
    return [
        *lines,
        f"source:  {found.source}",
        f"account: {found.account or 'unknown'}",
        f"project: {found.project or 'none (pass --project or set GOOGLE_CLOUD_PROJECT)'}",
        f"scopes:  {' '.join(found.scopes) or 'unknown'}",
        f"expires: {expires}",
    ]


def check_line(check: Checked) -> str:
    if check.found is None:
        return f"{check.source}: {check.detail}"
    if check.used:
        return f"{check.source}: {check.found} ({check.detail})  <- used"
    return f"{check.source}: {check.found} ({check.detail}; not used: one above comes first)"


_API_NAMES = {"pubsub": "Pub/Sub", "bigquery": "BigQuery"}


def emulator_lines(found: AuthStatus) -> list[str]:
    """Which APIs are on an emulator (no credentials needed), which still need them."""
    from pittgoogle_cli.auth.resolve import EMULATOR_ENV

    lines = [
        f"credentials are not needed for {_API_NAMES[api]} on the emulator at {host} "
        f"({EMULATOR_ENV[api]})"
        for api, host in found.emulators.items()
    ]
    needed = " and ".join(_API_NAMES[api] for api in found.needed_by)
    if needed and found.error is not None:
        lines.append(f"{needed} may still need them, and none work here: {found.error}")
    elif needed:
        lines.append(f"{needed} may still need them: the ones above")
    return lines


@auth_app.command()
def logout() -> None:
    """Revoke pgb's login at Google and delete it from this machine.

    Example: pgb auth logout
    """
    from pittgoogle_cli.auth import login as oauth_login

    path, problem = run(oauth_login.logout)
    if path is None:
        say("not logged in with `pgb auth login`; nothing to do")
        return
    if problem:
        say(
            f"could not revoke the login at Google ({problem}); it is deleted here, and "
            "you can remove pgb's access at https://myaccount.google.com/permissions"
        )
    say(f"logged out; deleted {path}")


@auth_app.command("print-token")
def print_token(credentials: CredentialsOption = None) -> None:
    """Print an access token for curl and friends (the only command that prints one).

    Example: curl -H "Authorization: Bearer $(pgb auth print-token)" URL
    """

    async def main() -> str:
        from pittgoogle_cli.auth.resolve import find_token_source

        return await find_token_source(credentials).token()

    typer.echo(run(main))
