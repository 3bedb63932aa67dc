"""A throwaway TOM (tomtoolkit 3.x, sqlite) with Pitt-Google's app installed, as an
operator would set one up (tom_setup's template, trimmed); the tests point it at the
emulators."""

import os
import sys
import tempfile

from tom_common.default_settings import *  # noqa: F403

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "throwaway-tom-for-tests"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
TOM_NAME = "Throwaway TOM"
INSTALLED_APPS = [
    *TOMTOOLKIT_INSTALLED_APPS,  # noqa: F405
    "tom_alerts",
    "tom_alertstreams",
    "pittgoogle_cli.tom_toolkit",
]
SITE_ID = 1
MIDDLEWARE = TOMTOOLKIT_MIDDLEWARE  # noqa: F405
ROOT_URLCONF = "tests.tom.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
CRISPY_TEMPLATE_PACK = "bootstrap5"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TOM_DB", os.path.join(tempfile.gettempdir(), "pgb-tom.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the tests' force_login
    *TOMTOOLKIT_AUTHENTICATION_BACKENDS,  # noqa: F405
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_URL = "/static/"
# Bootstrap from the venv (the Makefile puts it there), not from a CDN: the browser test's
# network is closed. Without it, django-bootstrap5's CDN links stay.
_STATIC = os.path.join(sys.prefix, "share", "pgb-tom-static")
if os.path.isdir(os.path.join(_STATIC, "bootstrap")):
    STATICFILES_DIRS = [_STATIC]
    BOOTSTRAP5 = {
        "css_url": {"url": STATIC_URL + "bootstrap/bootstrap.min.css"},
        "javascript_url": {"url": STATIC_URL + "bootstrap/bootstrap.bundle.min.js"},
    }
MEDIA_ROOT = os.path.join(tempfile.gettempdir(), "pgb-tom-media")
MEDIA_URL = "/data/"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
TARGET_TYPE = "SIDEREAL"
FACILITIES = {}
TOM_FACILITY_CLASSES = []
MATCH_MANAGERS = {}
DATA_PRODUCT_TYPES = {"photometry": ("photometry", "Photometry")}
DATA_PROCESSORS = {
    "photometry": "tom_dataproducts.processors.photometry_processor.PhotometryProcessor",
}
EXTRA_FIELDS = []
GENERAL_SEARCH_FUNCTIONS = {}
AUTH_STRATEGY = "READ_ONLY"
TARGET_PERMISSIONS_ONLY = True
TARGET_DEFAULT_PERMISSION = "PRIVATE"
TARGET_LIST_COLUMNS = ["name", "type", "observations", "saved_data"]
OPEN_URLS = []
HOOKS = {
    "target_post_save": "tom_common.hooks.target_post_save",
    "observation_change_state": "tom_common.hooks.observation_change_state",
    "data_product_post_upload": "tom_dataproducts.hooks.data_product_post_upload",
}
AUTO_THUMBNAILS = False
THUMBNAIL_MAX_SIZE = (0, 0)
THUMBNAIL_DEFAULT_SIZE = (200, 200)
HINTS_ENABLED = False
HINT_LEVEL = 20
TOM_ALERT_CLASSES = [
    "pittgoogle_cli.tom_toolkit.brokers.BrokerStreamRest",
    "pittgoogle_cli.tom_toolkit.brokers.BrokerStreamPython",
    "pittgoogle_cli.tom_toolkit.brokers.BrokerDatabasePython",
]
DATA_SERVICES = {}

PITTGOOGLE = {
    "project": os.environ.get("GOOGLE_CLOUD_PROJECT", "pgb-tests"),
    "emulator_host": os.environ.get("PUBSUB_EMULATOR_HOST", ""),
    "bigquery_emulator_host": os.environ.get("BIGQUERY_EMULATOR_HOST", ""),
    "dead_letter_dir": os.path.join(tempfile.gettempdir(), "pgb-tom-dead-letter"),
}

# `manage.py readstreams` in the kill test: the subscription comes from the environment.
if os.environ.get("TOM_STREAM_SUBSCRIPTION"):
    ALERT_STREAMS = [
        {
            "NAME": "pittgoogle_cli.tom_toolkit.alertstream.PittGoogleAlertStream",
            "OPTIONS": {"SUBSCRIPTION": os.environ["TOM_STREAM_SUBSCRIPTION"]},
        }
    ]
