"""The throwaway TOM's fixtures: a logged-in user, and Pitt-Google's settings pointed at
the shared Pub/Sub emulator (tests/conftest.py starts it)."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import PROJECT
from ..query.conftest import bq_host, ztf_alerts  # noqa: F401  (the BigQuery emulator)


@pytest.fixture
def tom(settings: Any, emulator: str, tmp_path: Any) -> Any:
    settings.PITTGOOGLE = {
        "project": PROJECT,
        "emulator_host": emulator,
        "dead_letter_dir": str(tmp_path / "dead-letter"),
    }
    return settings


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="astronomer", password="pw-for-tests")


@pytest.fixture
def browser(client: Any, user: Any) -> Any:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def tom_bq(settings: Any, ztf_alerts: Any) -> Any:  # noqa: F811 (the fixture, used)
    settings.PITTGOOGLE = {"project": PROJECT, "bigquery_emulator_host": ztf_alerts.host}
    return ztf_alerts
