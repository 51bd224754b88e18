"""Trading strategies (the market maker, arbitrage): bots that decide with pure functions and act through the keeper's pipeline."""
