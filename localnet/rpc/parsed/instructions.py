"""Instructions of the programs a validator parses, in the ``jsonParsed`` shapes of Agave's
``transaction-status`` crate (``parse_system.rs``, ``parse_token.rs``, ``parse_associated_token.rs``,
``parse_bpf_loader.rs``, memos in ``parse_instruction.rs``).

An instruction that is not parsable (unknown program, unknown tag, too few accounts, short data)
is shown as Agave shows it: ``{"programId", "accounts", "data", "stackHeight"}`` with base58 data.
Compute Budget, like in Agave, is not a parsable program.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from typing import Any

from solders.pubkey import Pubkey

from localnet.rpc.encoding import b58encode, ui_token_amount
from localnet.spl_token import TOKEN_PROGRAMS

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
ATA_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_V1_PROGRAM_ID = Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
BPF_LOADER_ID = Pubkey.from_string("BPFLoader2111111111111111111111111111111111")
BPF_UPGRADEABLE_LOADER_ID = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
ADDRESS_LOOKUP_TABLE_ID = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")


class NotParsable(Exception):
    """The instruction does not decode for its program (Agave: InstructionNotParsable / KeyMismatch)."""


class _Reader:
    """Little-endian reads of bincode / SPL packed data; NotParsable on running short."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise NotParsable("short data")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def pubkey(self) -> str:
        return str(Pubkey.from_bytes(self.take(32)))

    def bincode_bytes(self) -> bytes:
        return self.take(self.u64())

    def bincode_string(self) -> str:
        try:
            return self.bincode_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise NotParsable("seed is not UTF-8") from None

    def coption_pubkey(self) -> str | None:
        """SPL Token's packed COption<Pubkey>: tag 0 (None) or 1 then 32 bytes."""
        tag = self.u8()
        if tag == 0:
            return None
        if tag == 1:
            return self.pubkey()
        raise NotParsable("bad option tag")


class _Accounts:
    """The instruction's account keys, by position; NotParsable when fewer than required."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys

    def need(self, n: int) -> None:
        if len(self.keys) < n:
            raise NotParsable("too few accounts")

    def __getitem__(self, i: int) -> str:
        return self.keys[i]


Parsed = tuple[str, Any]  # (type, info)


# -- System -----------------------------------------------------------------------------------------
def _system(data: bytes, a: _Accounts) -> Parsed:
    r = _Reader(data)
    tag = r.u32()
    if tag == 0:
        lamports, space, owner = r.u64(), r.u64(), r.pubkey()
        a.need(2)
        return "createAccount", {"source": a[0], "newAccount": a[1], "lamports": lamports, "space": space, "owner": owner}
    if tag == 1:
        owner = r.pubkey()
        a.need(1)
        return "assign", {"account": a[0], "owner": owner}
    if tag == 2:
        lamports = r.u64()
        a.need(2)
        return "transfer", {"source": a[0], "destination": a[1], "lamports": lamports}
    if tag == 3:
        base, seed, lamports, space, owner = r.pubkey(), r.bincode_string(), r.u64(), r.u64(), r.pubkey()
        a.need(2)
        return "createAccountWithSeed", {"source": a[0], "newAccount": a[1], "base": base, "seed": seed,
                                         "lamports": lamports, "space": space, "owner": owner}
    if tag == 4:
        a.need(3)
        return "advanceNonce", {"nonceAccount": a[0], "recentBlockhashesSysvar": a[1], "nonceAuthority": a[2]}
    if tag == 5:
        lamports = r.u64()
        a.need(5)
        return "withdrawFromNonce", {"nonceAccount": a[0], "destination": a[1], "recentBlockhashesSysvar": a[2],
                                     "rentSysvar": a[3], "nonceAuthority": a[4], "lamports": lamports}
    if tag == 6:
        authority = r.pubkey()
        a.need(3)
        return "initializeNonce", {"nonceAccount": a[0], "recentBlockhashesSysvar": a[1], "rentSysvar": a[2],
                                   "nonceAuthority": authority}
    if tag == 7:
        authority = r.pubkey()
        a.need(2)
        return "authorizeNonce", {"nonceAccount": a[0], "nonceAuthority": a[1], "newAuthorized": authority}
    if tag == 8:
        space = r.u64()
        a.need(1)
        return "allocate", {"account": a[0], "space": space}
    if tag == 9:
        base, seed, space, owner = r.pubkey(), r.bincode_string(), r.u64(), r.pubkey()
        a.need(2)
        return "allocateWithSeed", {"account": a[0], "base": base, "seed": seed, "space": space, "owner": owner}
    if tag == 10:
        base, seed, owner = r.pubkey(), r.bincode_string(), r.pubkey()
        a.need(2)
        return "assignWithSeed", {"account": a[0], "base": base, "seed": seed, "owner": owner}
    if tag == 11:
        lamports, seed, owner = r.u64(), r.bincode_string(), r.pubkey()
        a.need(3)
        return "transferWithSeed", {"source": a[0], "sourceBase": a[1], "destination": a[2], "lamports": lamports,
                                    "sourceSeed": seed, "sourceOwner": owner}
    if tag == 12:
        a.need(1)
        return "upgradeNonce", {"nonceAccount": a[0]}
    raise NotParsable(f"system tag {tag}")


# -- SPL Token (and the Token-2022 instructions they share) ------------------------------------------
_AUTHORITY_TYPES = ("mintTokens", "freezeAccount", "accountOwner", "closeAccount", "transferFeeConfig",
                    "withheldWithdraw", "closeMint", "interestRate", "permanentDelegate", "confidentialTransferMint",
                    "transferHookProgramId", "confidentialTransferFeeConfig", "metadataPointer", "groupPointer",
                    "groupMemberPointer", "scaledUiAmount", "pause", "permissionedBurn")
_ACCOUNT_AUTHORITIES = ("accountOwner", "closeAccount")
# Token-2022 ExtensionType codes (u16) in order, as UiExtensionType names them
_EXTENSION_TYPES = ("uninitialized", "transferFeeConfig", "transferFeeAmount", "mintCloseAuthority",
                    "confidentialTransferMint", "confidentialTransferAccount", "defaultAccountState", "immutableOwner",
                    "memoTransfer", "nonTransferable", "interestBearingConfig", "cpiGuard", "permanentDelegate",
                    "nonTransferableAccount", "transferHook", "transferHookAccount", "confidentialTransferFeeConfig",
                    "confidentialTransferFeeAmount", "metadataPointer", "tokenMetadata", "groupPointer",
                    "groupMemberPointer", "tokenGroup", "tokenGroupMember", "confidentialMintBurn", "scaledUiAmount",
                    "pausable", "pausableAccount")


def _signers(info: dict[str, Any], a: _Accounts, last_nonsigner: int, owner_field: str, multisig_field: str) -> None:
    """Agave's parse_signers: one authority, or a multisig followed by its signers."""
    if len(a.keys) > last_nonsigner + 1:
        info[multisig_field] = a[last_nonsigner]
        info["signers"] = a.keys[last_nonsigner + 1 :]
    elif len(a.keys) > last_nonsigner:
        info[owner_field] = a[last_nonsigner]


def _token(data: bytes, a: _Accounts) -> Parsed:
    r = _Reader(data)
    tag = r.u8()
    if tag in (0, 20):
        decimals, authority, freeze = r.u8(), r.pubkey(), r.coption_pubkey()
        a.need(2 if tag == 0 else 1)
        info: dict[str, Any] = {"mint": a[0], "decimals": decimals, "mintAuthority": authority}
        if tag == 0:
            info["rentSysvar"] = a[1]
        if freeze is not None:
            info["freezeAuthority"] = freeze
        return ("initializeMint" if tag == 0 else "initializeMint2"), info
    if tag == 1:
        a.need(4)
        return "initializeAccount", {"account": a[0], "mint": a[1], "owner": a[2], "rentSysvar": a[3]}
    if tag == 16:
        owner = r.pubkey()
        a.need(3)
        return "initializeAccount2", {"account": a[0], "mint": a[1], "owner": owner, "rentSysvar": a[2]}
    if tag == 18:
        owner = r.pubkey()
        a.need(2)
        return "initializeAccount3", {"account": a[0], "mint": a[1], "owner": owner}
    if tag == 2:
        m = r.u8()
        a.need(3)
        return "initializeMultisig", {"multisig": a[0], "rentSysvar": a[1], "signers": a.keys[2:], "m": m}
    if tag == 19:
        m = r.u8()
        a.need(2)
        return "initializeMultisig2", {"multisig": a[0], "signers": a.keys[1:], "m": m}
    if tag in _AMOUNT_OPS:
        name, fields, last, owner_field, multisig_field = _AMOUNT_OPS[tag]
        amount = r.u64()
        a.need(3)
        info = {f: a[i] for i, f in enumerate(fields)}
        info["amount"] = str(amount)
        _signers(info, a, last, owner_field, multisig_field)
        return name, info
    if tag in _CHECKED_OPS:
        name, fields, owner_field, multisig_field = _CHECKED_OPS[tag]
        amount, decimals = r.u64(), r.u8()
        a.need(len(fields) + 1)
        info = {f: a[i] for i, f in enumerate(fields)}
        info["tokenAmount"] = ui_token_amount(amount, decimals)
        _signers(info, a, len(fields), owner_field, multisig_field)
        return name, info
    if tag in _PLAIN_OPS:
        name, fields, owner_field, multisig_field = _PLAIN_OPS[tag]
        a.need(len(fields) + 1)
        info = {f: a[i] for i, f in enumerate(fields)}
        _signers(info, a, len(fields), owner_field, multisig_field)
        return name, info
    if tag == 6:
        kind = r.u8()
        new_authority = r.coption_pubkey()
        if kind >= len(_AUTHORITY_TYPES):
            raise NotParsable("authority type")
        a.need(2)
        authority_type = _AUTHORITY_TYPES[kind]
        info = {"account" if authority_type in _ACCOUNT_AUTHORITIES else "mint": a[0],
                "authorityType": authority_type, "newAuthority": new_authority}
        _signers(info, a, 1, "authority", "multisigAuthority")
        return "setAuthority", info
    if tag in (17, 22):
        a.need(1)
        return ("syncNative" if tag == 17 else "initializeImmutableOwner"), {"account": a[0]}
    if tag == 21:
        rest = data[1:]
        if len(rest) % 2:
            raise NotParsable("extension types")
        codes = [int.from_bytes(rest[i : i + 2], "little") for i in range(0, len(rest), 2)]
        if any(c >= len(_EXTENSION_TYPES) for c in codes):
            raise NotParsable("extension type")
        a.need(1)
        info = {"mint": a[0]}
        if codes:
            info["extensionTypes"] = [_EXTENSION_TYPES[c] for c in codes]
        return "getAccountDataSize", info
    if tag == 23:
        amount = r.u64()
        a.need(1)
        return "amountToUiAmount", {"mint": a[0], "amount": str(amount)}
    if tag == 24:
        try:
            text = data[1:].decode("utf-8")
        except UnicodeDecodeError:
            raise NotParsable("ui amount") from None
        a.need(1)
        return "uiAmountToAmount", {"mint": a[0], "uiAmount": text}
    raise NotParsable(f"token tag {tag}")


# tag: (type, leading account fields, index of the authority, its field, its multisig field)
_AMOUNT_OPS = {
    3: ("transfer", ("source", "destination"), 2, "authority", "multisigAuthority"),
    4: ("approve", ("source", "delegate"), 2, "owner", "multisigOwner"),
    7: ("mintTo", ("mint", "account"), 2, "mintAuthority", "multisigMintAuthority"),
    8: ("burn", ("account", "mint"), 2, "authority", "multisigAuthority"),
}
# tag: (type, leading account fields, authority field, multisig field); the authority follows the fields
_CHECKED_OPS = {
    12: ("transferChecked", ("source", "mint", "destination"), "authority", "multisigAuthority"),
    13: ("approveChecked", ("source", "mint", "delegate"), "owner", "multisigOwner"),
    14: ("mintToChecked", ("mint", "account"), "mintAuthority", "multisigMintAuthority"),
    15: ("burnChecked", ("account", "mint"), "authority", "multisigAuthority"),
}
_PLAIN_OPS = {
    5: ("revoke", ("source",), "owner", "multisigOwner"),
    9: ("closeAccount", ("account", "destination"), "owner", "multisigOwner"),
    10: ("freezeAccount", ("account", "mint"), "freezeAuthority", "multisigFreezeAuthority"),
    11: ("thawAccount", ("account", "mint"), "freezeAuthority", "multisigFreezeAuthority"),
}


# -- Associated Token Account, memo, BPF loaders ---------------------------------------------------
def _associated_token(data: bytes, a: _Accounts) -> Parsed:
    tag = data[0] if data else 0
    if len(data) > 1 or tag > 2:
        raise NotParsable("associated token instruction")
    if tag == 2:
        a.need(7)
        return "recoverNested", {"nestedSource": a[0], "nestedMint": a[1], "destination": a[2], "nestedOwner": a[3],
                                 "ownerMint": a[4], "wallet": a[5], "tokenProgram": a[6]}
    a.need(6)
    return ("create" if tag == 0 else "createIdempotent"), {
        "source": a[0], "account": a[1], "wallet": a[2], "mint": a[3], "systemProgram": a[4], "tokenProgram": a[5]}


def _bpf_loader(data: bytes, a: _Accounts) -> Parsed:
    r = _Reader(data)
    tag = r.u32()
    if tag == 0:
        offset, raw = r.u32(), r.bincode_bytes()
        a.need(1)
        return "write", {"offset": offset, "bytes": base64.b64encode(raw).decode("ascii"), "account": a[0]}
    if tag == 1:
        a.need(2)
        return "finalize", {"account": a[0]}
    raise NotParsable(f"loader tag {tag}")


def _optional(a: _Accounts, i: int) -> str | None:
    return a[i] if len(a.keys) > i else None


def _bpf_upgradeable_loader(data: bytes, a: _Accounts) -> Parsed:
    r = _Reader(data)
    tag = r.u32()
    if tag == 0:
        a.need(1)
        info: dict[str, Any] = {"account": a[0]}
        if len(a.keys) > 1:
            info["authority"] = a[1]
        return "initializeBuffer", info
    if tag == 1:
        offset, raw = r.u32(), r.bincode_bytes()
        a.need(2)
        return "write", {"offset": offset, "bytes": base64.b64encode(raw).decode("ascii"), "account": a[0], "authority": a[1]}
    if tag == 2:
        max_len = r.u64()
        a.need(8)
        return "deployWithMaxDataLen", {"maxDataLen": max_len, "payerAccount": a[0], "programDataAccount": a[1],
                                        "programAccount": a[2], "bufferAccount": a[3], "rentSysvar": a[4],
                                        "clockSysvar": a[5], "systemProgram": a[6], "authority": a[7]}
    if tag == 3:
        a.need(7)
        return "upgrade", {"programDataAccount": a[0], "programAccount": a[1], "bufferAccount": a[2],
                           "spillAccount": a[3], "rentSysvar": a[4], "clockSysvar": a[5], "authority": a[6]}
    if tag == 4:
        a.need(2)
        return "setAuthority", {"account": a[0], "authority": a[1], "newAuthority": _optional(a, 2)}
    if tag == 5:
        a.need(3)
        return "close", {"account": a[0], "recipient": a[1], "authority": a[2], "programAccount": _optional(a, 3)}
    if tag == 6:
        extra = r.u32()
        a.need(2)
        return "extendProgram", {"additionalBytes": extra, "programDataAccount": a[0], "programAccount": a[1],
                                 "systemProgram": _optional(a, 2), "payerAccount": _optional(a, 3)}
    if tag == 7:
        a.need(3)
        return "setAuthorityChecked", {"account": a[0], "authority": a[1], "newAuthority": a[2]}
    if tag == 9:
        extra = r.u32()
        a.need(3)
        return "extendProgramChecked", {"additionalBytes": extra, "programDataAccount": a[0], "programAccount": a[1],
                                        "authority": a[2], "systemProgram": _optional(a, 3), "payerAccount": _optional(a, 4)}
    raise NotParsable(f"upgradeable loader tag {tag}")


# -- Address Lookup Table (Agave's parse_address_lookup_table.rs) ---------------------------------
def _address_lookup_table(data: bytes, a: _Accounts) -> Parsed:
    r = _Reader(data)
    tag = r.u32()
    if tag == 0:
        recent_slot, bump = r.u64(), r.u8()
        a.need(4)
        return "createLookupTable", {"lookupTableAccount": a[0], "lookupTableAuthority": a[1], "payerAccount": a[2],
                                     "systemProgram": a[3], "recentSlot": recent_slot, "bumpSeed": bump}
    if tag == 2:
        count = r.u64()
        if count > len(data) // 32:
            raise NotParsable("address count")
        addresses = [r.pubkey() for _ in range(count)]
        a.need(2)
        info: dict[str, Any] = {"lookupTableAccount": a[0], "lookupTableAuthority": a[1], "newAddresses": addresses}
        if len(a.keys) >= 4:  # the payer and the system program come together or not at all
            info["payerAccount"], info["systemProgram"] = a[2], a[3]
        return "extendLookupTable", info
    if tag in (1, 3):
        a.need(2)
        return ("freezeLookupTable" if tag == 1 else "deactivateLookupTable"), {
            "lookupTableAccount": a[0], "lookupTableAuthority": a[1]}
    if tag == 4:
        a.need(3)
        return "closeLookupTable", {"lookupTableAccount": a[0], "lookupTableAuthority": a[1], "recipient": a[2]}
    raise NotParsable(f"address lookup table tag {tag}")


_PARSERS: dict[Pubkey, tuple[str, Callable[[bytes, _Accounts], Parsed]]] = {
    ADDRESS_LOOKUP_TABLE_ID: ("address-lookup-table", _address_lookup_table),
    SYSTEM_PROGRAM_ID: ("system", _system),
    ATA_PROGRAM_ID: ("spl-associated-token-account", _associated_token),
    BPF_LOADER_ID: ("bpf-loader", _bpf_loader),
    BPF_UPGRADEABLE_LOADER_ID: ("bpf-upgradeable-loader", _bpf_upgradeable_loader),
    **{program: ("spl-token", _token) for program in TOKEN_PROGRAMS},
}
_MEMO_PROGRAMS = (MEMO_V1_PROGRAM_ID, MEMO_PROGRAM_ID)


def parse_instruction(program_id: Pubkey, accounts: list[Pubkey], data: bytes, stack_height: int | None) -> dict[str, Any]:
    """Return the ``jsonParsed`` JSON of one instruction (``UiParsedInstruction``).

    ``accounts`` are the instruction's resolved account keys, in instruction order.
    """
    keys = [str(k) for k in accounts]
    parsed: Any = None
    name = None
    if program_id in _MEMO_PROGRAMS:
        try:
            name, parsed = "spl-memo", data.decode("utf-8")
        except UnicodeDecodeError:
            name = None
    elif program_id in _PARSERS:
        name, parser = _PARSERS[program_id]
        try:
            kind, info = parser(data, _Accounts(keys))
            parsed = {"type": kind, "info": info}
        except NotParsable:
            name = None
    if name is None:
        return {"accounts": keys, "data": b58encode(data), "programId": str(program_id), "stackHeight": stack_height}
    return {"parsed": parsed, "program": name, "programId": str(program_id), "stackHeight": stack_height}


__all__ = ["ADDRESS_LOOKUP_TABLE_ID", "ATA_PROGRAM_ID", "BPF_LOADER_ID", "BPF_UPGRADEABLE_LOADER_ID", "MEMO_PROGRAM_ID", "MEMO_V1_PROGRAM_ID",
           "SYSTEM_PROGRAM_ID", "parse_instruction"]
