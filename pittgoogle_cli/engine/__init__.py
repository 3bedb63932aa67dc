"""The one engine: a batch of messages decoded, filtered, set aside or written, and what
may be acked (``batch``); ``pull``, ``alerts``, ``fetch`` (``pull``, ``sync``) and
``decode_files`` (``local``) on it, from ``settings``. May import every layer below;
only ``cli`` imports it."""
