"""Alerts themselves: the models (``models``), decoding every encoding (``decode``),
schemas (``schemas``), the fields every flat view reads (``fields``), bounded caches.
Pure; the bottom layer: imports nothing of pgb's but the exceptions."""
