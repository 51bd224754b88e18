"""An in-process chain: LiteSVM with the perp program loaded and the real SPL Token program.

``LocalSvm`` sends transactions and returns ``Landed`` / ``Failed`` values, moves the clock, and
offers the SPL Token set-up that tests, benchmarks and the demo share.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Iterable, Protocol, Sequence, TypeVar

from solana.constants import LAMPORTS_PER_SOL
from solders.account import Account
from solders.clock import Clock
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.hash import Hash
from solders.message import MessageV0, to_bytes_versioned
from solders import sysvar
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from spl.token.constants import MINT_LEN, TOKEN_PROGRAM_ID
from spl.token.instructions import (
    InitializeMintParams,
    MintToParams,
    create_associated_token_account,
    get_associated_token_address,
    initialize_mint,
    mint_to,
)

from keepers.execution.results import Failed, Landed, Outcome
from keepers.exchange.pdas import BPF_LOADER_UPGRADEABLE_ID, program_data_pda
from keepers.exchange.spl_token import token_amount
from programs_client.perp.program_id import PROGRAM_ID

START_UNIX_TIMESTAMP = 1_767_225_600  # 2026-01-01T00:00:00Z


class _Decodable(Protocol):
    @classmethod
    def decode(cls, data: bytes): ...  # noqa: ANN206


D = TypeVar("D", bound=_Decodable)


def create_mint_ixs(payer: Pubkey, mint: Pubkey, authority: Pubkey, rent: int, decimals: int = 6) -> list[Instruction]:
    """Create the account ``mint`` (it signs; ``payer`` pays ``rent``) and initialise it as an SPL Token mint."""
    return [
        create_account(CreateAccountParams(from_pubkey=payer, to_pubkey=mint, lamports=rent, space=MINT_LEN,
                                           owner=TOKEN_PROGRAM_ID)),
        initialize_mint(InitializeMintParams(decimals=decimals, program_id=TOKEN_PROGRAM_ID, mint=mint,
                                             mint_authority=authority, freeze_authority=None)),
    ]


# Agave's ReservedAccountKeys (all activated): builtin programs and sysvars are never writable.
RESERVED_ACCOUNT_KEYS = frozenset(Pubkey.from_string(k) for k in (
    "AddressLookupTab1e1111111111111111111111111", "BPFLoader1111111111111111111111111111111111",
    "BPFLoader2111111111111111111111111111111111", "BPFLoaderUpgradeab1e11111111111111111111111",
    "ComputeBudget111111111111111111111111111111", "Config1111111111111111111111111111111111111",
    "Ed25519SigVerify111111111111111111111111111", "Feature111111111111111111111111111111111111",
    "LoaderV411111111111111111111111111111111111", "NativeLoader1111111111111111111111111111111",
    "KeccakSecp256k11111111111111111111111111111", "Secp256r1SigVerify1111111111111111111111111",
    "Stake11111111111111111111111111111111111111", "11111111111111111111111111111111",
    "Vote111111111111111111111111111111111111111", "ZkE1Gama1Proof11111111111111111111111111111",
    "ZkTokenProof1111111111111111111111111111111", "SysvarEpochRewards1111111111111111111111111",
    "SysvarFees111111111111111111111111111111111", "SysvarLastRestartS1ot1111111111111111111111",
    "SysvarS1otHistory11111111111111111111111111", "Sysvar1111111111111111111111111111111111111",
)) | {sysvar.CLOCK, sysvar.EPOCH_SCHEDULE, sysvar.INSTRUCTIONS, sysvar.RECENT_BLOCKHASHES, sysvar.RENT,
      sysvar.REWARDS, sysvar.SLOT_HASHES, sysvar.STAKE_HISTORY}
# The accounts LiteSVM creates itself (those that exist: builtins, sysvars, the SPL programs it loads), which
# nothing writes through the ledger; LiteSVM cannot list its accounts, so the ledger's index starts with these.
NATIVE_ACCOUNTS = RESERVED_ACCOUNT_KEYS | {Pubkey.from_string(k) for k in (
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL", "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
    "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")}

_PUBKEYS: dict[int, tuple[Keypair, Pubkey]] = {}  # id(keypair) -> (the keypair, kept alive so ids stay unique; its pubkey)
_PUBKEYS_MAX = 100_000


def pubkey_of(keypair: Keypair) -> Pubkey:
    """``keypair.pubkey()``, remembered: solders derives it from the secret key on every call (~50 us)."""
    hit = _PUBKEYS.get(id(keypair))
    if hit is not None and hit[0] is keypair:
        return hit[1]
    if len(_PUBKEYS) >= _PUBKEYS_MAX:
        _PUBKEYS.clear()
    pubkey = keypair.pubkey()
    _PUBKEYS[id(keypair)] = (keypair, pubkey)
    return pubkey


def sign_transaction(ixs: Sequence[Instruction], payer: Keypair, signers: Iterable[Keypair],
                     blockhash: Hash) -> tuple[VersionedTransaction, Signature]:
    """Compile ``ixs`` into a v0 message paid by ``payer`` and sign it once per required signer.

    Return the transaction and its first signature (its id). ``signers`` may repeat the payer; a
    keypair the message does not need, or a missing one, raises solders' own ``SignerError``.
    ``VersionedTransaction(message, keypairs)`` would derive every keypair's public key again and
    serialise the message once per signer: this serialises it once.
    """
    tx, signature, _ = sign_transaction_keys(ixs, payer, signers, blockhash)
    return tx, signature


def sign_transaction_keys(ixs: Sequence[Instruction], payer: Keypair, signers: Iterable[Keypair],
                          blockhash: Hash) -> tuple[VersionedTransaction, Signature, list[Pubkey]]:
    """``sign_transaction``, also returning the message's account keys (the payer first).

    ``tx.message.account_keys`` would build the message and its keys again.
    """
    payer_key = pubkey_of(payer)
    by_key = {payer_key: payer}
    for s in signers:
        if s is not payer:  # callers often pass the payer among the signers
            by_key.setdefault(pubkey_of(s), s)
    msg = MessageV0.try_compile(payer_key, list(ixs), [], blockhash)
    keys = msg.account_keys
    required = keys[:msg.header.num_required_signatures]
    if by_key.keys() != set(required):
        VersionedTransaction(msg, list(by_key.values()))  # raises the SignerError that says what is wrong
        raise AssertionError("unreachable: the signers do not match the message")
    data = to_bytes_versioned(msg)
    signatures = [by_key[k].sign_message(data) for k in required]
    return VersionedTransaction.populate(msg, signatures), signatures[0], keys


class LocalSvm:
    """LiteSVM with the perp program at ``program_id`` and helpers to drive it."""

    def __init__(self, program: Path | bytes, program_id: Pubkey = PROGRAM_ID) -> None:
        self.svm = LiteSVM()
        self.program_id = program_id
        self.svm.add_program(program_id, program if isinstance(program, bytes) else Path(program).read_bytes())
        # LiteSVM starts its clock at Unix time 0; a cluster never reports that.
        self.warp(self.svm.get_clock().slot, START_UNIX_TIMESTAMP)
        self.payer = self.funded_keypair(100)

    # -- transactions -------------------------------------------------------------------------------
    def send(self, ixs: Sequence[Instruction], signers: Iterable[Keypair] = (), payer: Keypair | None = None) -> Outcome:
        """Sign with ``payer`` (default: the harness payer) and ``signers``, execute, and return the outcome.

        The blockhash is renewed after every transaction so that identical transactions can be repeated.
        """
        tx, signature = sign_transaction(ixs, payer or self.payer, signers, self.svm.latest_blockhash())
        result = self.svm.send_transaction(tx)
        self.svm.expire_blockhash()
        if isinstance(result, FailedTransactionMetadata):
            meta = result.meta()
            return Failed(signature, result.err(), list(meta.logs()), meta.compute_units_consumed())
        rd = result.return_data()
        return Landed(signature, list(result.logs()), result.compute_units_consumed(), bytes(rd.data) if rd else None)

    def send_ok(self, ixs: Sequence[Instruction], signers: Iterable[Keypair] = (), payer: Keypair | None = None) -> Landed:
        """Like ``send``, but raise ``RuntimeError`` with the logs when the transaction fails."""
        out = self.send(ixs, signers, payer)
        if isinstance(out, Failed):
            raise RuntimeError(f"transaction failed: {out.error_name}\n" + "\n".join(out.logs))
        return out

    def add_program(self, program_id: Pubkey, program: Path | bytes) -> None:
        """Load another program (e.g. the mock oracle) at ``program_id``."""
        self.svm.add_program(program_id, program if isinstance(program, bytes) else Path(program).read_bytes())

    # -- accounts and time --------------------------------------------------------------------------
    def airdrop(self, to: Pubkey, lamports: int) -> None:
        """Credit ``lamports`` to ``to`` out of thin air."""
        self.svm.airdrop(to, lamports)

    def funded_keypair(self, sol: int = 10) -> Keypair:
        """Return a new keypair holding ``sol`` SOL."""
        kp = Keypair()
        self.airdrop(kp.pubkey(), sol * LAMPORTS_PER_SOL)
        return kp

    def account(self, address: Pubkey) -> Account | None:
        """Return the raw account, or None when it does not exist."""
        return self.svm.get_account(address)

    def decode(self, cls: type[D], address: Pubkey) -> D:
        """Decode the account at ``address`` with a generated account class; KeyError when missing."""
        acc = self.svm.get_account(address)
        if acc is None:
            raise KeyError(f"no account at {address}")
        if acc.owner != self.program_id:
            raise ValueError(f"{address} is owned by {acc.owner}, not the program {self.program_id}")
        return cls.decode(bytes(acc.data))

    def set_account(self, address: Pubkey, account: Account) -> None:
        """Write an account directly (fixtures only: fake oracles, hostile accounts)."""
        self.svm.set_account(address, account)

    def set_upgrade_authority(self, authority: Pubkey | None) -> None:
        """Give the perp program the ProgramData account an upgradeable deployment has (``solana program
        deploy``: its deployer is the upgrade authority), with ``authority`` (None: immutable).

        LiteSVM loads programs without one; ``initialize_exchange`` only accepts the upgrade authority as
        admin. The header is enough: the program reads no more (the bytes after it hold the ELF on a cluster).
        """
        data = struct.pack("<IQ", 3, 0) + (b"\x01" + bytes(authority) if authority is not None else b"\x00" + bytes(32))
        self.svm.set_account(program_data_pda(self.program_id),
                             Account(self.rent_exempt_balance(len(data)), data, BPF_LOADER_UPGRADEABLE_ID, False, 0))

    def clock(self) -> Clock:
        """Return the Clock sysvar."""
        return self.svm.get_clock()

    def warp(self, slot: int, unix_timestamp: int | None = None) -> None:
        """Move the clock to ``slot`` (and optionally to ``unix_timestamp``)."""
        c = self.svm.get_clock()
        ts = c.unix_timestamp if unix_timestamp is None else unix_timestamp
        self.svm.set_clock(Clock(slot, c.epoch_start_timestamp, c.epoch, c.leader_schedule_epoch, ts))

    # -- SPL Token ----------------------------------------------------------------------------------
    def rent_exempt_balance(self, size: int) -> int:
        """Lamports an account of ``size`` bytes needs to be rent exempt."""
        return self.svm.minimum_balance_for_rent_exemption(size)

    def create_mint(self, authority: Pubkey, decimals: int = 6, mint: Keypair | None = None) -> Pubkey:
        """Create and initialise an SPL Token mint; return its address."""
        mint = mint or Keypair()
        rent = self.rent_exempt_balance(MINT_LEN)
        self.send_ok(create_mint_ixs(self.payer.pubkey(), mint.pubkey(), authority, rent, decimals), [mint])
        return mint.pubkey()

    def token_account(self, owner: Pubkey, mint: Pubkey) -> Pubkey:
        """Create (if needed) and return ``owner``'s associated token account for ``mint``."""
        ata = get_associated_token_address(owner, mint)
        if self.svm.get_account(ata) is None:
            self.send_ok([create_associated_token_account(self.payer.pubkey(), owner, mint)])
        return ata

    def mint_to(self, mint: Pubkey, authority: Keypair, destination: Pubkey, amount: int) -> None:
        """Mint ``amount`` base units of ``mint`` to the token account ``destination``."""
        self.send_ok(
            [
                mint_to(
                    MintToParams(
                        program_id=TOKEN_PROGRAM_ID, mint=mint, dest=destination,
                        mint_authority=authority.pubkey(), amount=amount,
                    )
                )
            ],
            [authority],
        )

    def token_balance(self, token_account: Pubkey) -> int:
        """Return the amount held by an SPL Token account."""
        acc = self.svm.get_account(token_account)
        if acc is None:
            raise KeyError(f"no token account at {token_account}")
        amount = token_amount(bytes(acc.data))
        if amount is None:
            raise ValueError(f"{token_account} holds {len(acc.data)} bytes: not a token account")
        return amount
