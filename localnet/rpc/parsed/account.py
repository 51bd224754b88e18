"""Account data in the ``jsonParsed`` encoding, with the mint decimals looked up on the chain.

Agave parses an SPL Token account only when it knows its mint's decimals; without them (mint
missing) and for any account it cannot parse, jsonParsed falls back to base64.
"""

from __future__ import annotations

from typing import Any, Protocol

from solders.account import Account
from solders.pubkey import Pubkey

from localnet.rpc.encoding import MULTISIG_LEN, encode_account, parse_token_data
from localnet.spl_token import TOKEN_2022_PROGRAM_ID, TOKEN_ACCOUNT_LEN, TOKEN_PROGRAMS, token_account_fields

NATIVE_MINT = Pubkey.from_string("So11111111111111111111111111111111111111112")
NATIVE_MINT_DECIMAL_PLACES = 9  # wrapped SOL counts lamports


class MintSource(Protocol):
    """What account parsing needs of the chain."""

    def decimals_of(self, mint: Pubkey) -> int | None: ...


def mint_decimals_of(chain: MintSource, mint: Pubkey) -> int | None:
    """A mint's decimals; the native mint's are known without its account, as in Agave."""
    if mint == NATIVE_MINT:
        return NATIVE_MINT_DECIMAL_PLACES
    return chain.decimals_of(mint)


def parsed_token_data(chain: MintSource, account: Account) -> dict[str, Any] | None:
    """Return the ``{"program", "parsed", "space"}`` JSON of an SPL Token account or mint, else None."""
    if account.owner not in TOKEN_PROGRAMS:
        return None
    data = bytes(account.data)
    fields = token_account_fields(data)
    decimals = None
    if fields is not None:
        decimals = mint_decimals_of(chain, fields[0])
        if decimals is None:
            return None
    parsed = parse_token_data(account.owner, data, decimals)
    if parsed is None:
        return None
    if account.owner == TOKEN_2022_PROGRAM_ID and len(data) > TOKEN_ACCOUNT_LEN and len(data) != MULTISIG_LEN:
        extensions = token_2022_extensions(data)
        if extensions is None:
            return None
        if extensions:
            parsed["info"]["extensions"] = extensions
    program = "spl-token-2022" if account.owner == TOKEN_2022_PROGRAM_ID else "spl-token"
    return {"program": program, "parsed": parsed, "space": len(data)}


# Token-2022 extensions without state, by ExtensionType code; others are not rendered here (see below).
_STATELESS_EXTENSIONS = {7: "immutableOwner", 9: "nonTransferable", 13: "nonTransferableAccount", 27: "pausableAccount"}


def token_2022_extensions(data: bytes) -> list[dict[str, Any]] | None:
    """Return the ``UiExtension`` list of Token-2022 data with extensions (TLV after the account-type byte).

    Only extensions without state are rendered; for any other this returns None and the account is
    served as base64 rather than with an incomplete extension list.
    """
    out: list[dict[str, Any]] = []
    pos = TOKEN_ACCOUNT_LEN + 1
    while pos + 4 <= len(data):
        code, length = int.from_bytes(data[pos : pos + 2], "little"), int.from_bytes(data[pos + 2 : pos + 4], "little")
        if code == 0:  # Uninitialized: padding to the end
            break
        name = _STATELESS_EXTENSIONS.get(code)
        if name is None or length != 0:
            return None
        out.append({"extension": name})
        pos += 4 + length
    return out


def encode_account_parsed(chain: MintSource, account: Account, encoding: str,
                          data_slice: tuple[int, int] | None = None) -> dict[str, Any]:
    """Return the ``UiAccount`` JSON of ``account``; jsonParsed parses token data (else base64)."""
    if encoding == "jsonParsed":
        parsed = parsed_token_data(chain, account)
        if parsed is not None:
            out = encode_account(account, "base64")
            out["data"] = parsed
            return out
        return encode_account(account, "base64", data_slice)
    return encode_account(account, encoding, data_slice)


__all__ = ["NATIVE_MINT", "encode_account_parsed", "mint_decimals_of", "parsed_token_data", "token_2022_extensions"]
