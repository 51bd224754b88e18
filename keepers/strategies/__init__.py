"""Strategies: bots that trade (the arbitrage bot; the market maker)."""
