"""The ``jsonParsed`` encoding: instructions of known programs and transactions, as Agave parses them."""
