"""Pitt-Google's public Pub/Sub topics, as Pitt-Google's data listings describe them
(project ``ardent-cycling-243415``). Shipped, so listing them needs no permission; a topic
added since this release is still pulled by name."""

from __future__ import annotations

from typing import NamedTuple


class Topic(NamedTuple):
    name: str
    survey: str
    about: str


TOPICS = (
    Topic("ztf-loop", "ztf", "test stream: recent ztf-alerts, republished at 1 per second"),
    Topic("ztf-alerts", "ztf", "every ZTF alert, duplicates removed (Avro, cutouts included)"),
    Topic("ztf-lite", "ztf", "every ZTF alert, a subset of its fields (JSON)"),
    Topic("ztf-tagged", "ztf", "ztf-lite with tags such as is_pure in the attributes"),
    Topic("ztf-SuperNNova", "ztf", "ztf-tagged with SuperNNova's Ia / non-Ia classification"),
    Topic("ztf-variability", "ztf", "ztf-lite with Stetson J indices; attribute pg_variable"),
    Topic("ztf-upsilon", "ztf", "ztf-lite with UPSILoN's variable-star classes"),
    Topic("ztf-alert_avros", "ztf", "one notice per alert file stored in Cloud Storage (no data)"),
    Topic("lvk-alerts", "lvk", "LIGO-Virgo-KAGRA gravitational-wave notices (JSON)"),
    Topic("lsst-alerts-simulated", "lsst", "LSST/Rubin alerts while commissioning (Avro)"),
    Topic("lsst-alerts-json-simulated", "lsst", "the same alerts as JSON"),
    Topic("lsst-lite-simulated", "lsst", "LSST alerts, a subset of their fields"),
    Topic("lsst-upsilon-simulated", "lsst", "lsst-lite with UPSILoN's variable-star classes"),
    Topic("lsst-variability-simulated", "lsst", "lsst-lite with Stetson J indices"),
    Topic("lsst-supernnova-simulated", "lsst", "lsst-lite with SuperNNova's classification"),
)
