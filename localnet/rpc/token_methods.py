"""SPL Token JSON-RPC methods: getTokenSupply, getTokenLargestAccounts, getTokenAccountsByOwner and
getTokenAccountsByDelegate, with Agave's shapes and -32602 messages (``rpc/src/rpc.rs``,
``rpc/src/parsed_token_accounts.rs``).
"""

from __future__ import annotations

from typing import Any

from solders.account import Account
from solders.pubkey import Pubkey

from localnet.rpc.encoding import MULTISIG_LEN, check_account_encoding, parse_data_slice, ui_token_amount
from localnet.rpc.errors import invalid_params
from localnet.rpc.methods import Method, NodeContext, bank_slot, context
from localnet.rpc.params import Params, parse_pubkey
from localnet.rpc.parsed.account import NATIVE_MINT, NATIVE_MINT_DECIMAL_PLACES, encode_account_parsed, parsed_token_data
from localnet.spl_token import MINT_LEN, TOKEN_ACCOUNT_LEN, TOKEN_PROGRAM_ID, TOKEN_PROGRAMS, mint_decimals, token_account_fields

NUM_LARGEST_ACCOUNTS = 20
_DELEGATE_TAG = (1).to_bytes(4, "little")  # COption::Some of the packed delegate field


def _is_mint(data: bytes) -> bool:
    """True for initialised mint data (Token-2022 mints with extensions carry account type 1 at byte 165)."""
    if len(data) != MINT_LEN and not (len(data) > TOKEN_ACCOUNT_LEN and data[TOKEN_ACCOUNT_LEN] == 1 and len(data) != MULTISIG_LEN):
        return False
    return mint_decimals(data) is not None


def _mint(ctx: NodeContext, mint: Pubkey) -> tuple[Pubkey, int, int]:
    """Return (owner program, decimals, supply) of a mint, as Agave's get_mint_owner_and_additional_data
    reads it (the native mint's decimals are known without its account); -32602 when it is none."""
    acc = ctx.chain.get_account(mint)
    if mint == NATIVE_MINT and acc is None:
        return TOKEN_PROGRAM_ID, NATIVE_MINT_DECIMAL_PLACES, 0
    if acc is None:
        raise invalid_params("Invalid param: could not find mint")
    data = bytes(acc.data)
    if not _is_mint(data):
        raise invalid_params("Invalid param: mint could not be unpacked")
    if acc.owner not in TOKEN_PROGRAMS:
        raise invalid_params("Invalid param: not a Token mint")
    return acc.owner, data[44], int.from_bytes(data[36:44], "little")


def get_token_supply(ctx: NodeContext, raw: Any) -> Any:
    """getTokenSupply [mint, {commitment}]."""
    p = Params(raw, 1, 2)
    mint = p.pubkey(0, "mint")
    slot = bank_slot(ctx, p.config(1))
    acc = ctx.chain.get_account(mint)
    if acc is None:
        raise invalid_params("Invalid param: could not find account")
    if acc.owner not in TOKEN_PROGRAMS:
        raise invalid_params("Invalid param: not a Token mint")
    _, decimals, supply = _mint(ctx, mint)
    return {"context": context(ctx, slot), "value": ui_token_amount(supply, decimals)}


def _token_accounts(ctx: NodeContext, program: Pubkey, mint: Pubkey | None = None, owner: Pubkey | None = None,
                    delegate: Pubkey | None = None) -> list[tuple[Pubkey, Account]]:
    """Initialised token accounts of ``program`` matching the filters, in address order.

    As Agave's filters: spl-token accounts are exactly 165 bytes; Token-2022 accounts may carry extensions.
    """
    out = []
    for address, acc in ctx.chain.program_accounts(program):
        data = bytes(acc.data)
        if program == TOKEN_PROGRAM_ID and len(data) != TOKEN_ACCOUNT_LEN:
            continue
        fields = token_account_fields(data)
        if fields is None or (len(data) > TOKEN_ACCOUNT_LEN and data[TOKEN_ACCOUNT_LEN] != 2):
            continue
        if mint is not None and fields[0] != mint:
            continue
        if owner is not None and fields[1] != owner:
            continue
        if delegate is not None and data[72:108] != _DELEGATE_TAG + bytes(delegate):
            continue
        out.append((address, acc))
    return out


def get_token_largest_accounts(ctx: NodeContext, raw: Any) -> Any:
    """getTokenLargestAccounts [mint, {commitment}]: the 20 largest accounts of a mint, largest first."""
    p = Params(raw, 1, 2)
    mint = p.pubkey(0, "mint")
    slot = bank_slot(ctx, p.config(1))
    program, decimals, _ = _mint(ctx, mint)
    balances = [(token_account_fields(bytes(acc.data))[2], address) for address, acc in _token_accounts(ctx, program, mint)]  # type: ignore[index]
    balances.sort(key=lambda b: (b[0], bytes(b[1])), reverse=True)
    value = [{"address": str(address), **ui_token_amount(amount, decimals)} for amount, address in balances[:NUM_LARGEST_ACCOUNTS]]
    return {"context": context(ctx, slot), "value": value}


def _filter(ctx: NodeContext, raw: Any) -> tuple[Pubkey, Pubkey | None]:
    """Return (token program, mint or None) of an ``{"mint": ...}`` or ``{"programId": ...}`` filter."""
    if not isinstance(raw, dict) or len(raw) != 1 or not set(raw) <= {"mint", "programId"}:
        raise invalid_params("Invalid params: the filter must be an object with either `mint` or `programId`")
    if "mint" in raw:
        mint = parse_pubkey(raw["mint"], "mint")
        program, _, _ = _mint(ctx, mint)
        return program, mint
    program = parse_pubkey(raw["programId"], "program id")
    if program not in TOKEN_PROGRAMS:
        raise invalid_params("Invalid param: unrecognized Token program id")
    return program, None


def _accounts_by(ctx: NodeContext, raw: Any, what: str) -> Any:
    p = Params(raw, 2, 3)
    key = p.pubkey(0, what)
    program, mint = _filter(ctx, p.get(1))
    cfg = p.config(2)
    encoding = check_account_encoding(cfg.get("encoding"))
    data_slice = parse_data_slice(cfg.get("dataSlice"))
    slot = bank_slot(ctx, cfg)
    found = _token_accounts(ctx, program, mint, **{what: key})
    value = []
    for address, acc in found:
        if encoding == "jsonParsed" and parsed_token_data(ctx.chain, acc) is None:
            continue  # Agave lists only the accounts it could parse
        value.append({"account": encode_account_parsed(ctx.chain, acc, encoding, data_slice), "pubkey": str(address)})
    return {"context": context(ctx, slot), "value": value}


def get_token_accounts_by_owner(ctx: NodeContext, raw: Any) -> Any:
    """getTokenAccountsByOwner [owner, {mint | programId}, {commitment, encoding, dataSlice, minContextSlot}]."""
    return _accounts_by(ctx, raw, "owner")


def get_token_accounts_by_delegate(ctx: NodeContext, raw: Any) -> Any:
    """getTokenAccountsByDelegate [delegate, {mint | programId}, {commitment, encoding, dataSlice, minContextSlot}]."""
    return _accounts_by(ctx, raw, "delegate")


TOKEN_METHODS: dict[str, Method] = {
    "getTokenSupply": get_token_supply,
    "getTokenLargestAccounts": get_token_largest_accounts,
    "getTokenAccountsByOwner": get_token_accounts_by_owner,
    "getTokenAccountsByDelegate": get_token_accounts_by_delegate,
}

__all__ = ["TOKEN_METHODS"]
