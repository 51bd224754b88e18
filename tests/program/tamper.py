"""Build hostile variants of valid instructions: swap an account, drop a signer, change the data."""

from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey


def with_account(
    ix: Instruction,
    index: int,
    pubkey: Pubkey | None = None,
    *,
    is_signer: bool | None = None,
    is_writable: bool | None = None,
) -> Instruction:
    """Return ``ix`` with account ``index`` replaced (key and/or flags)."""
    metas = list(ix.accounts)
    m = metas[index]
    metas[index] = AccountMeta(
        pubkey if pubkey is not None else m.pubkey,
        m.is_signer if is_signer is None else is_signer,
        m.is_writable if is_writable is None else is_writable,
    )
    return Instruction(ix.program_id, ix.data, metas)


def with_data(ix: Instruction, data: bytes) -> Instruction:
    """Return ``ix`` with its data replaced."""
    return Instruction(ix.program_id, data, list(ix.accounts))


def without_accounts_from(ix: Instruction, count: int) -> Instruction:
    """Return ``ix`` keeping only its first ``count`` accounts."""
    return Instruction(ix.program_id, ix.data, list(ix.accounts)[:count])
