"""``manage.py pittgoogle_login``: the TOM operator's one-time Google login, run as the user
the TOM runs as (never inside a web request). The OAuth client comes from the TOM's
settings under the old module's names (``PITTGOOGLE_OAUTH_CLIENT_ID`` and
``PITTGOOGLE_OAUTH_CLIENT_SECRET``), else from pgb's own (environment, config file).
pgb refreshes the login by itself from then on; the token never appears in the output."""

from __future__ import annotations

import webbrowser
from typing import Any

import anyio
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pittgoogle_cli._exceptions import PgbError


class Command(BaseCommand):
    help = "Log in to Google once for Pitt-Google's data services and streams"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-browser", action="store_true", help="print the URL only")

    def handle(self, *args: Any, **options: Any) -> None:
        from pittgoogle_cli.auth import login

        client_id = getattr(settings, "PITTGOOGLE_OAUTH_CLIENT_ID", "") or ""
        secret = getattr(settings, "PITTGOOGLE_OAUTH_CLIENT_SECRET", "") or ""
        try:
            if client_id and secret:
                client = login.OAuthClient(client_id, secret)
            elif client_id:
                raise CommandError("PITTGOOGLE_OAUTH_CLIENT_ID is set but its _SECRET is not")
            else:
                client = login.oauth_client()

            async def main() -> Any:
                opener = None if options["no_browser"] else webbrowser.open
                return await login.login(client, open_browser=opener, tell=self._tell)

            done = anyio.run(main)
        except PgbError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"logged in as {done.account}" if done.account else "logged in")

    def _tell(self, text: str) -> None:
        self.stderr.write(text)
