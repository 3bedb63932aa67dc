"""Pitt-Google in the TOM Toolkit, on pgb's engine (``pip install 'pittgoogle-cli[tom]'``,
then ``INSTALLED_APPS += ["pittgoogle_cli.tom_toolkit"]``). Nothing here imports Django at
import time, so that the pure parts (``targets``) work without it; the light curve points
are ``pittgoogle_cli.packets.photometry``, shared with ``pgb plot``."""
