"""Instruction parsing of the jsonParsed encoding, against shapes written out from Agave's
``transaction-status/src/parse_system.rs``, ``parse_token.rs``, ``parse_bpf_loader.rs`` and
``parse_address_lookup_table.rs``.

Instructions are built with solders / solana-py (or by hand where they have no builder), then parsed
with their account keys in instruction order, as getTransaction does.
"""

from __future__ import annotations

import base64
import struct

import base58
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import (
    AllocateWithSeedParams,
    AuthorizeNonceAccountParams,
    CreateAccountWithSeedParams,
    InitializeNonceAccountParams,
    TransferWithSeedParams,
    WithdrawNonceAccountParams,
    allocate_with_seed,
    authorize_nonce_account,
    create_account_with_seed,
    initialize_nonce_account,
    transfer_with_seed,
    withdraw_nonce_account,
)
from solders.sysvar import RECENT_BLOCKHASHES, RENT
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    AuthorityType,
    BurnCheckedParams,
    CloseAccountParams,
    InitializeMintParams,
    SetAuthorityParams,
    TransferParams,
    burn_checked,
    close_account,
    initialize_mint,
    set_authority,
    transfer,
)

from localnet.rpc.parsed.instructions import BPF_LOADER_ID, BPF_UPGRADEABLE_LOADER_ID, SYSTEM_PROGRAM_ID, parse_instruction
from localnet.spl_token import TOKEN_2022_PROGRAM_ID

K = [Pubkey.new_unique() for _ in range(8)]


def _parse(ix: Instruction, stack_height: int | None = None) -> dict:
    return parse_instruction(ix.program_id, [m.pubkey for m in ix.accounts], bytes(ix.data), stack_height)


def _parsed(program: str, program_id: Pubkey, kind: str, info: dict, stack_height: int | None = None) -> dict:
    return {"parsed": {"type": kind, "info": info}, "program": program, "programId": str(program_id), "stackHeight": stack_height}


def test_system_seeded_and_nonce_instructions() -> None:
    ix = create_account_with_seed(CreateAccountWithSeedParams(from_pubkey=K[0], to_pubkey=K[1], base=K[2], seed="vault-7",
                                                              lamports=99, space=42, owner=K[3]))
    assert _parse(ix) == _parsed("system", SYSTEM_PROGRAM_ID, "createAccountWithSeed", {
        "source": str(K[0]), "newAccount": str(K[1]), "base": str(K[2]), "seed": "vault-7", "lamports": 99, "space": 42,
        "owner": str(K[3])})
    ix = allocate_with_seed(AllocateWithSeedParams(address=K[1], base=K[2], seed="s", space=10, owner=K[3]))
    assert _parse(ix)["parsed"] == {"type": "allocateWithSeed", "info": {
        "account": str(K[1]), "base": str(K[2]), "seed": "s", "space": 10, "owner": str(K[3])}}
    ix = transfer_with_seed(TransferWithSeedParams(from_pubkey=K[0], from_base=K[2], from_seed="x", from_owner=K[3], lamports=5,
                                                   to_pubkey=K[4]))
    assert _parse(ix)["parsed"] == {"type": "transferWithSeed", "info": {
        "source": str(K[0]), "sourceBase": str(K[2]), "destination": str(K[4]), "lamports": 5, "sourceSeed": "x",
        "sourceOwner": str(K[3])}}
    ix = initialize_nonce_account(InitializeNonceAccountParams(nonce_pubkey=K[5], authority=K[6]))
    assert _parse(ix)["parsed"] == {"type": "initializeNonce", "info": {
        "nonceAccount": str(K[5]), "recentBlockhashesSysvar": str(RECENT_BLOCKHASHES), "rentSysvar": str(RENT),
        "nonceAuthority": str(K[6])}}
    ix = withdraw_nonce_account(WithdrawNonceAccountParams(nonce_pubkey=K[5], authorized_pubkey=K[6], to_pubkey=K[0], lamports=77))
    assert _parse(ix)["parsed"] == {"type": "withdrawFromNonce", "info": {
        "nonceAccount": str(K[5]), "destination": str(K[0]), "recentBlockhashesSysvar": str(RECENT_BLOCKHASHES),
        "rentSysvar": str(RENT), "nonceAuthority": str(K[6]), "lamports": 77}}
    ix = authorize_nonce_account(AuthorizeNonceAccountParams(nonce_pubkey=K[5], authorized_pubkey=K[6], new_authority=K[7]))
    assert _parse(ix)["parsed"] == {"type": "authorizeNonce", "info": {
        "nonceAccount": str(K[5]), "nonceAuthority": str(K[6]), "newAuthorized": str(K[7])}}


def test_unparsable_instructions_stay_partially_decoded() -> None:
    # a System transfer with one account, an unknown System tag, a memo that is not UTF-8, an unknown program
    memo = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
    cases = [(SYSTEM_PROGRAM_ID, struct.pack("<IQ", 2, 5)), (SYSTEM_PROGRAM_ID, struct.pack("<I", 99)),
             (memo, b"\xff\xfe"), (K[7], b"\x01\x02\x03"), (TOKEN_PROGRAM_ID, bytes([3, 1]))]
    for program_id, data in cases:
        assert parse_instruction(program_id, [K[0]], data, 3) == {
            "accounts": [str(K[0])], "data": base58.b58encode(data).decode(), "programId": str(program_id), "stackHeight": 3}


def test_token_instructions_single_and_multisig_authorities() -> None:
    ix = transfer(TransferParams(program_id=TOKEN_PROGRAM_ID, source=K[0], dest=K[1], owner=K[2], amount=10))
    assert _parse(ix, 2) == _parsed("spl-token", TOKEN_PROGRAM_ID, "transfer", {
        "source": str(K[0]), "destination": str(K[1]), "authority": str(K[2]), "amount": "10"}, 2)
    ix = transfer(TransferParams(program_id=TOKEN_PROGRAM_ID, source=K[0], dest=K[1], owner=K[2], amount=10, signers=[K[3], K[4]]))
    assert _parse(ix)["parsed"]["info"] == {"source": str(K[0]), "destination": str(K[1]), "multisigAuthority": str(K[2]),
                                            "signers": [str(K[3]), str(K[4])], "amount": "10"}
    ix = burn_checked(BurnCheckedParams(program_id=TOKEN_2022_PROGRAM_ID, mint=K[1], account=K[0], owner=K[2], amount=1234,
                                        decimals=3))
    assert _parse(ix) == _parsed("spl-token", TOKEN_2022_PROGRAM_ID, "burnChecked", {
        "account": str(K[0]), "mint": str(K[1]), "authority": str(K[2]),
        "tokenAmount": {"amount": "1234", "decimals": 3, "uiAmount": 1.234, "uiAmountString": "1.234"}})
    ix = close_account(CloseAccountParams(program_id=TOKEN_PROGRAM_ID, account=K[0], dest=K[1], owner=K[2]))
    assert _parse(ix)["parsed"] == {"type": "closeAccount", "info": {
        "account": str(K[0]), "destination": str(K[1]), "owner": str(K[2])}}


def test_token_set_authority_and_initialize_mint() -> None:
    ix = set_authority(SetAuthorityParams(program_id=TOKEN_PROGRAM_ID, account=K[0], authority=AuthorityType.CLOSE_ACCOUNT,
                                          current_authority=K[1], new_authority=K[2]))
    assert _parse(ix)["parsed"] == {"type": "setAuthority", "info": {
        "account": str(K[0]), "authorityType": "closeAccount", "newAuthority": str(K[2]), "authority": str(K[1])}}
    ix = set_authority(SetAuthorityParams(program_id=TOKEN_PROGRAM_ID, account=K[0], authority=AuthorityType.MINT_TOKENS,
                                          current_authority=K[1]))
    assert _parse(ix)["parsed"] == {"type": "setAuthority", "info": {
        "mint": str(K[0]), "authorityType": "mintTokens", "newAuthority": None, "authority": str(K[1])}}
    ix = initialize_mint(InitializeMintParams(decimals=2, mint=K[0], mint_authority=K[1], freeze_authority=K[2],
                                              program_id=TOKEN_PROGRAM_ID))
    assert _parse(ix)["parsed"] == {"type": "initializeMint", "info": {
        "mint": str(K[0]), "decimals": 2, "mintAuthority": str(K[1]), "freezeAuthority": str(K[2]), "rentSysvar": str(RENT)}}
    mint2 = bytes([20, 9]) + bytes(K[1]) + b"\x00"  # InitializeMint2 without a freeze authority
    assert parse_instruction(TOKEN_PROGRAM_ID, [K[0]], mint2, None)["parsed"] == {"type": "initializeMint2", "info": {
        "mint": str(K[0]), "decimals": 9, "mintAuthority": str(K[1])}}


def test_bpf_loaders() -> None:
    write = struct.pack("<IIQ", 1, 16, 3) + b"abc"  # UpgradeableLoaderInstruction::Write { offset: 16, bytes: "abc" }
    assert parse_instruction(BPF_UPGRADEABLE_LOADER_ID, [K[0], K[1]], write, None) == _parsed(
        "bpf-upgradeable-loader", BPF_UPGRADEABLE_LOADER_ID, "write",
        {"offset": 16, "bytes": base64.b64encode(b"abc").decode(), "account": str(K[0]), "authority": str(K[1])})
    set_auth = struct.pack("<I", 4)
    assert parse_instruction(BPF_UPGRADEABLE_LOADER_ID, [K[0], K[1]], set_auth, None)["parsed"] == {
        "type": "setAuthority", "info": {"account": str(K[0]), "authority": str(K[1]), "newAuthority": None}}
    extend = struct.pack("<II", 6, 4096)
    assert parse_instruction(BPF_UPGRADEABLE_LOADER_ID, [K[0], K[1], K[2], K[3]], extend, None)["parsed"] == {
        "type": "extendProgram", "info": {"additionalBytes": 4096, "programDataAccount": str(K[0]), "programAccount": str(K[1]),
                                          "systemProgram": str(K[2]), "payerAccount": str(K[3])}}
    finalize = struct.pack("<I", 1)
    assert parse_instruction(BPF_LOADER_ID, [K[0], K[1]], finalize, None) == _parsed(
        "bpf-loader", BPF_LOADER_ID, "finalize", {"account": str(K[0])})


def test_address_lookup_table_instructions() -> None:
    """Shapes of Agave's parse_address_lookup_table.rs; data is bincode: a u32 tag, then the fields."""
    alt = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
    keys = [K[0], K[1], K[2], SYSTEM_PROGRAM_ID]

    def parse(data: bytes, n: int) -> dict:
        return parse_instruction(alt, keys[:n], data, None)

    table, authority, payer, system = (str(k) for k in keys)
    assert parse(struct.pack("<IQB", 0, 42, 254), 4) == _parsed("address-lookup-table", alt, "createLookupTable", {
        "lookupTableAccount": table, "lookupTableAuthority": authority, "payerAccount": payer, "systemProgram": system,
        "recentSlot": 42, "bumpSeed": 254})
    assert parse(struct.pack("<I", 1), 2)["parsed"] == {"type": "freezeLookupTable", "info": {
        "lookupTableAccount": table, "lookupTableAuthority": authority}}
    extend = struct.pack("<IQ", 2, 2) + bytes(K[5]) + bytes(K[6])
    assert parse(extend, 4)["parsed"] == {"type": "extendLookupTable", "info": {
        "lookupTableAccount": table, "lookupTableAuthority": authority, "payerAccount": payer, "systemProgram": system,
        "newAddresses": [str(K[5]), str(K[6])]}}
    assert parse(struct.pack("<IQ", 2, 0), 3)["parsed"] == {"type": "extendLookupTable", "info": {
        "lookupTableAccount": table, "lookupTableAuthority": authority, "newAddresses": []}}  # a payer needs its system program
    assert parse(struct.pack("<I", 3), 2)["parsed"]["type"] == "deactivateLookupTable"
    assert parse(struct.pack("<I", 4), 3)["parsed"] == {"type": "closeLookupTable", "info": {
        "lookupTableAccount": table, "lookupTableAuthority": authority, "recipient": payer}}
    # too few accounts, short data, an unknown tag, an address count beyond the data: left unparsed
    for data, n in ((struct.pack("<I", 4), 2), (struct.pack("<IQ", 0, 1), 4), (struct.pack("<I", 9), 4),
                    (struct.pack("<IQ", 2, 1 << 40), 2)):
        assert "parsed" not in parse(data, n)
