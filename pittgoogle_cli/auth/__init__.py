"""Credentials for Google's APIs: which apply (``resolve``), token sources that renew
themselves (``tokens``), pgb's own login (``login``, ``cache``). May import ``google``
and below."""
