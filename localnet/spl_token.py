"""SPL Token account and mint layouts, read from raw account bytes (no JSON).

The ledger reads token balances with them; the RPC node's ``jsonParsed`` encoding builds on them.
"""

from __future__ import annotations

from solders.pubkey import Pubkey

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
TOKEN_PROGRAMS = (TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID)
TOKEN_ACCOUNT_LEN = 165
MINT_LEN = 82


def token_account_fields(data: bytes) -> tuple[Pubkey, Pubkey, int, int] | None:
    """Return (mint, owner, amount, state) of an initialised SPL Token account, else None."""
    if len(data) < TOKEN_ACCOUNT_LEN or data[108] == 0:
        return None
    return Pubkey.from_bytes(data[0:32]), Pubkey.from_bytes(data[32:64]), int.from_bytes(data[64:72], "little"), data[108]


def mint_decimals(data: bytes) -> int | None:
    """Return the decimals of an initialised SPL Token mint, else None."""
    if len(data) < MINT_LEN or data[45] != 1:
        return None
    return data[44]


__all__ = ["MINT_LEN", "TOKEN_2022_PROGRAM_ID", "TOKEN_ACCOUNT_LEN", "TOKEN_PROGRAMS", "TOKEN_PROGRAM_ID",
           "mint_decimals", "token_account_fields"]
