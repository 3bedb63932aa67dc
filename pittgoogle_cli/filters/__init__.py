"""Which alerts to keep: the filter contract (``base``), the chain a pull runs
(``chain``), ``--filter`` specs, the classtar cut and ``--where``. Pure; may import
``packets``."""
