"""The keeper bots: mark price, funding, liquidator, settler, insurance fund."""
