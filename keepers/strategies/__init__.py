"""Trading strategies: bots that decide with pure functions and act through the keeper's pipeline."""
