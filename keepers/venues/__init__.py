"""Places strategies trade: one ``Venue`` interface (``base``), external exchanges through ccxt (``ccxt_venue``)."""
