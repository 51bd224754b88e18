"""Trader agents of the simulator: behaviours (``sim.agents.behaviours``) and the population built from a
scenario's ``[[traders]]`` groups (``sim.agents.population``). Every order an agent makes is an instruction
of the real program (``keepers.exchange.instructions``), matched by the program's own book."""

from sim.agents.behaviours import BEHAVIOURS, HuntTarget, MarketView, decide
from sim.agents.population import TraderAgent, agent_rng, build_population

__all__ = ["BEHAVIOURS", "HuntTarget", "MarketView", "TraderAgent", "agent_rng", "build_population", "decide"]
