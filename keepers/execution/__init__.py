"""The transaction path: an action's intent journaled, sized, priced, signed, sent, confirmed and
classified (retry, skip, alert)."""
