"""What every Google API call shares: HTTP with retries (``http``, ``retry``) and
Google's error envelope (``errors``). May import nothing of pgb's but the exceptions."""
