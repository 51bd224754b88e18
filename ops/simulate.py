"""Run a vault transaction's instructions before anyone signs: every account they touch is cloned from the
cluster into LiteSVM (signature verification off, so the vault PDA signs as the admin without a key), the
instructions execute there, and each writable account's decoded fields are compared before and after.

The perp program's bytes come from the cluster (an upgradeable program's ProgramData holds its ELF); a
cluster that serves no ProgramData ELF (the local node) is simulated with the locally built program.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from solders.account import Account
from solders.instruction import Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata
from spl.token.constants import TOKEN_PROGRAM_ID

from keepers.exchange.pdas import BPF_LOADER_UPGRADEABLE_ID
from keepers.exchange.spl_token import token_amount
from keepers.execution.results import Failed
from localnet.svm import NATIVE_ACCOUNTS, LocalSvm
from ops.chain import Chain, OpsError
from programs_client.perp import accounts as perp_accounts

_PERP_ACCOUNTS = {cls.discriminator: cls for cls in (
    perp_accounts.Exchange, perp_accounts.Market, perp_accounts.User, perp_accounts.Orderbook,
    perp_accounts.EventQueue, perp_accounts.InsuranceFund, perp_accounts.InsuranceStake, perp_accounts.TriggerOrders)}
_PROGRAMDATA_HEADER = 45  # u32 tag, u64 slot, Option<Pubkey> upgrade authority
MAX_LINES_PER_ACCOUNT = 40


@dataclass(frozen=True)
class FieldChange:
    """One decoded field that differs (``before`` None: the account was created)."""

    path: str
    before: Any
    after: Any


@dataclass
class AccountDiff:
    """The changes of one account."""

    address: Pubkey
    kind: str
    created: bool = False
    changes: list[FieldChange] = field(default_factory=list)
    omitted: int = 0  # changes beyond MAX_LINES_PER_ACCOUNT

    def to_json(self) -> dict[str, Any]:
        return {"address": str(self.address), "kind": self.kind, "created": self.created, "omitted": self.omitted,
                "changes": [{"field": c.path, "before": c.before, "after": c.after} for c in self.changes]}


@dataclass
class Simulation:
    """The outcome of running the instructions with the vault signing."""

    ok: bool
    error: str | None
    logs: list[str]
    compute_units: int
    diffs: list[AccountDiff]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "error": self.error, "compute_units": self.compute_units,
                "diffs": [d.to_json() for d in self.diffs], "logs": self.logs}


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if set(value) == {"kind"}:  # a fieldless enum variant
            out[path] = value["kind"]
            return
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else k, out)
    elif isinstance(value, list):
        if len(value) <= 64 and all(isinstance(v, int) and 0 <= v <= 255 for v in value):  # byte arrays: one value
            raw = bytes(value)
            out[path] = raw.rstrip(b"\0").decode("ascii", "replace") if path.endswith("name") else raw.hex()
            return
        for i, v in enumerate(value):
            _flatten(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def decode_fields(acc: Account | None) -> tuple[str, dict[str, Any]]:
    """The account's kind and its fields flattened to ``path -> value`` (lamports included)."""
    if acc is None:
        return "absent", {}
    data = bytes(acc.data)
    fields: dict[str, Any] = {"lamports": acc.lamports}
    cls = _PERP_ACCOUNTS.get(data[:8])
    if cls is not None:
        _flatten(cls.decode(data).to_json(), "", fields)
        return cls.__name__, fields
    if acc.owner == TOKEN_PROGRAM_ID and token_amount(data) is not None:
        fields.update(mint=str(Pubkey(data[:32])), owner=str(Pubkey(data[32:64])), amount=token_amount(data))
        return "TokenAccount", fields
    fields.update(owner=str(acc.owner), data_len=len(data), data=data.hex() if len(data) <= 64 else f"<{len(data)} bytes>")
    return "raw", fields


def _is_default(v: Any) -> bool:
    return v in (0, "", False, None, str(Pubkey.default())) or (isinstance(v, str) and set(v) <= {"0"})


def diff_account(address: Pubkey, before: Account | None, after: Account | None) -> AccountDiff | None:
    """The decoded field changes of one account; None when nothing changed. A created account lists its
    non-default fields."""
    kind_b, fb = decode_fields(before)
    kind_a, fa = decode_fields(after)
    d = AccountDiff(address, kind_a if after is not None else kind_b, created=before is None and after is not None)
    changes = []
    for path in list(fb) + [p for p in fa if p not in fb]:
        b, a = fb.get(path), fa.get(path)
        if b == a or (d.created and _is_default(a)):
            continue
        changes.append(FieldChange(path, b, a))
    if not changes:
        return None
    d.changes, d.omitted = changes[:MAX_LINES_PER_ACCOUNT], max(0, len(changes) - MAX_LINES_PER_ACCOUNT)
    return d


def program_elf(chain: Chain, program_id: Pubkey, program_account: Account | None) -> bytes | None:
    """The ELF of an upgradeable program as the cluster serves it, None when it serves none."""
    if program_account is None or program_account.owner != BPF_LOADER_UPGRADEABLE_ID:
        return None
    data = bytes(program_account.data)
    if len(data) < 36:
        return None
    pd = chain.account(Pubkey(data[4:36]))
    if pd is None or len(pd.data) <= _PROGRAMDATA_HEADER:
        return None
    elf = bytes(pd.data)[_PROGRAMDATA_HEADER:]
    return elf if elf[:4] == b"\x7fELF" else None


def _ordered_keys(ixs: list[Instruction]) -> list[Pubkey]:
    seen: dict[Pubkey, None] = {}
    for ix in ixs:
        seen.setdefault(ix.program_id)
        for m in ix.accounts:
            seen.setdefault(m.pubkey)
    return list(seen)


def simulate(chain: Chain, ixs: list[Instruction], perp_program_id: Pubkey,
             local_program: Callable[[], bytes] | None = None) -> Simulation:
    """Clone the accounts ``ixs`` touch into LiteSVM and execute them (signers need no keys).

    ``local_program``: returns the perp program's bytes, called only when the cluster serves no ELF for it.
    """
    keys = _ordered_keys(ixs)
    fetched = chain.accounts(keys)
    elf = program_elf(chain, perp_program_id, fetched.get(perp_program_id))
    if elf is None and local_program is not None:
        elf = local_program()
    if elf is None:
        raise OpsError(f"the cluster serves no program bytes for {perp_program_id} and no local build was given")
    svm = LocalSvm(elf, perp_program_id)
    svm.svm.with_sigverify(False)
    slot, now = chain.clock()
    svm.warp(slot, now)
    for ix in ixs:
        if ix.program_id not in NATIVE_ACCOUNTS and ix.program_id != perp_program_id:
            raise OpsError(f"instruction for program {ix.program_id}: only the perp program and native programs are simulated")
    for key, acc in fetched.items():
        if acc is None or key in NATIVE_ACCOUNTS or key == perp_program_id or acc.executable:
            continue
        svm.set_account(key, acc)
    writable = [k for k in keys if any(m.pubkey == k and m.is_writable for ix in ixs for m in ix.accounts)]
    before = {k: svm.account(k) for k in writable}
    msg = MessageV0.try_compile(svm.payer.pubkey(), ixs, [], svm.svm.latest_blockhash())
    tx = VersionedTransaction.populate(msg, [Signature.new_unique() for _ in range(msg.header.num_required_signatures)])
    result = svm.svm.send_transaction(tx)
    if isinstance(result, FailedTransactionMetadata):
        meta = result.meta()
        failed = Failed(None, result.err(), list(meta.logs()), meta.compute_units_consumed())
        return Simulation(False, failed.error_name, failed.logs, failed.compute_units, [])
    diffs = [d for k in writable if (d := diff_account(k, before[k], svm.account(k))) is not None]
    return Simulation(True, None, list(result.logs()), result.compute_units_consumed(), diffs)
