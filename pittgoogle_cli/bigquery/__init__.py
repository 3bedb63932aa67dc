"""BigQuery over REST: SQL with parameters only (``sql``), requests and replies
(``rest``), rows to Python (``rows``), the job and its pages (``client``, ``pager``).
May import ``auth``, ``google`` and below."""
