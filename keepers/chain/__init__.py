"""Chains the keepers run on: the ``Chain`` interface and its RPC and in-process implementations."""
