"""Pitt-Google in the TOM Toolkit, on pgb's engine: ``INSTALLED_APPS += ["pittgoogle_cli.tom_toolkit"]``
with ``pip install 'pittgoogle-cli[tom]'``. Nothing here imports Django at import time, so
that the pure parts (``photometry``) work without it."""
