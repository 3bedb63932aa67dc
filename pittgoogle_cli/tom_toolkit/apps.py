"""The Django app: ``INSTALLED_APPS += ["pittgoogle_cli.tom_toolkit"]``; the TOM finds the
data services through ``data_services()``."""

from __future__ import annotations

from django.apps import AppConfig


class PittGoogleConfig(AppConfig):
    name = "pittgoogle_cli.tom_toolkit"
    label = "pittgoogle"
    verbose_name = "Pitt-Google (pgb)"
    default = True

    def data_services(self) -> list[dict[str, str]]:
        return [
            {"class": f"{self.name}.dataservices.PittGoogleStreamService"},
            {"class": f"{self.name}.bigquery_service.PittGoogleBigQueryService"},
        ]
