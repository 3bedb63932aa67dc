"""``manage.py pittgoogle_login``: the operator's one-time login, with the old module's
setting names; a half-set client is one clear error, never a prompt or a traceback."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command


def test_the_old_settings_names_half_set_is_a_clear_error(settings, monkeypatch):
    settings.PITTGOOGLE_OAUTH_CLIENT_ID = "1234.apps.googleusercontent.com"
    settings.PITTGOOGLE_OAUTH_CLIENT_SECRET = ""
    with pytest.raises(CommandError, match="PITTGOOGLE_OAUTH_CLIENT_ID is set but its _SECRET"):
        call_command("pittgoogle_login", "--no-browser")


def test_no_client_anywhere_says_where_to_put_one(settings, monkeypatch, tmp_path):
    for name in ("PGB_OAUTH_CLIENT_ID", "PITTGOOGLE_OAUTH_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGB_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(CommandError, match="no OAuth client id"):
        call_command("pittgoogle_login", "--no-browser")
