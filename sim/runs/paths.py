"""Dotted key paths into a scenario mapping: ``markets.SOL-PERP.params.maintenance_margin_bps``.

A ``*`` segment stands for every key at that level (``markets.*.params.liquidation_fee_bps`` sets the
parameter in every market). Market names contain dashes, never dots, so a dot always separates levels.
"""

from __future__ import annotations

from typing import Any


def set_path(mapping: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in ``mapping`` (in place), creating tables on the way; ``*`` fans out over existing keys."""
    parts = path.split(".")
    if not all(parts):
        raise ValueError(f"{path}: empty segment in the key path")
    _set(mapping, parts, value, path)


def _set(node: dict[str, Any], parts: list[str], value: Any, path: str) -> None:
    head, rest = parts[0], parts[1:]
    if head == "*":
        if not node:
            raise ValueError(f"{path}: '*' matches nothing")
        targets = list(node)
    else:
        targets = [head]
    for key in targets:
        if not rest:
            node[key] = value
            continue
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ValueError(f"{path}: {key} is not a table")
        _set(child, rest, value, path)


def get_path(mapping: dict[str, Any], path: str) -> Any:
    """The value at ``path`` (the first match of a ``*``); KeyError when absent."""
    node: Any = mapping
    for part in path.split("."):
        if not isinstance(node, dict) or not node:
            raise KeyError(path)
        node = next(iter(node.values())) if part == "*" else node[part]
    return node


__all__ = ["get_path", "set_path"]
