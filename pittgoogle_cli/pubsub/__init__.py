"""Pub/Sub over REST: names, bodies and replies (``rest``), one subscription's calls
(``subscriber``), and two ways to pull it that hold what they pulled until it is acked
(``stream`` with requests in flight, ``sequential`` with none). May import ``auth``,
``google`` and below."""
