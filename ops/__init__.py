"""On-chain operations: the exchange's admin instructions proposed, simulated, approved and executed through a
Squads v4 multisig whose vault holds the admin role (`perpkeep ops`)."""
