"""The one SPL Token account field the keepers read: the amount an account holds.

A token account is mint (32 bytes), owner (32), then the amount as a little-endian u64 (SPL Token's
``Account`` layout; Token-2022 accounts share the prefix).
"""

from __future__ import annotations

TOKEN_AMOUNT_OFFSET = 64
TOKEN_ACCOUNT_MIN_LEN = TOKEN_AMOUNT_OFFSET + 8


def token_amount(data: bytes) -> int | None:
    """The amount of an SPL Token account's data, None when the data is too short to be one."""
    if len(data) < TOKEN_ACCOUNT_MIN_LEN:
        return None
    return int.from_bytes(data[TOKEN_AMOUNT_OFFSET:TOKEN_ACCOUNT_MIN_LEN], "little")


__all__ = ["TOKEN_ACCOUNT_MIN_LEN", "TOKEN_AMOUNT_OFFSET", "token_amount"]
