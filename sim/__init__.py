"""The market simulator: trader agents, scenarios and the drivers that run the real keepers against them.

``sim`` may import ``keepers`` and ``localnet``; neither of them imports ``sim``.
"""
