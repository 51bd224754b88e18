"""The multisig workflow: propose an admin action, approve, reject, cancel, execute, and list proposals.

Each step checks what the Squads program would refuse (membership, permission, status, staleness, the time
lock) before sending, and ``propose``, ``approve`` and ``execute`` simulate the vault transaction first: a
failing simulation refuses with the program's error name. Every step returns a JSON-able report; with
``dry_run`` nothing is sent.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Callable

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from ops import squads
from ops.actions import ACTIONS, Context, Plan, exchange
from ops.chain import Chain, OpsError
from ops.params import DEFAULT_MAX_CHANGE
from ops.simulate import Simulation, simulate
from programs_client.perp.program_id import PROGRAM_ID as PERP_PROGRAM_ID
from programs_client.squads_multisig.accounts.multisig import Multisig
from programs_client.squads_multisig.accounts.proposal import Proposal
from programs_client.squads_multisig.accounts.vault_transaction import VaultTransaction
from programs_client.squads_multisig.program_id import PROGRAM_ID as SQUADS_PROGRAM_ID


def _anchor_discriminator(name: str) -> bytes:
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name)
    return hashlib.sha256(f"global:{snake}".encode()).digest()[:8]


# Admin instruction names by Anchor discriminator, to name what a stored vault transaction does.
ADMIN_INSTRUCTIONS = {_anchor_discriminator(a.instruction): a.instruction for a in ACTIONS.values()}


@dataclass
class OpsConfig:
    """Where and as whom ops acts."""

    rpc_url: str
    multisig: Pubkey
    member: Pubkey
    keypair: Keypair | None = None  # needed to send; a dry run needs only ``member``
    vault_index: int = 0
    perp_program: Pubkey = PERP_PROGRAM_ID
    squads_program: Pubkey = SQUADS_PROGRAM_ID
    local_program: Callable[[], bytes] | None = None
    max_change: float = DEFAULT_MAX_CHANGE

    def chain(self) -> Chain:
        return Chain(self.rpc_url, self.squads_program)

    @property
    def vault(self) -> Pubkey:
        return squads.vault_pda(self.multisig, self.vault_index, self.squads_program)


def _require_member(ms: Multisig, member: Pubkey, permission: int, what: str) -> None:
    mask = squads.member_permissions(ms, member)
    if mask is None:
        raise OpsError(f"{member} is not a member of this multisig")
    if not mask & permission:
        raise OpsError(f"{member} is a member without the {what} permission")


def describe_instructions(ixs: list[Instruction], perp_program: Pubkey) -> list[dict[str, Any]]:
    """Each instruction's program, admin-instruction name (when it is one) and accounts."""
    out = []
    for ix in ixs:
        name = ADMIN_INSTRUCTIONS.get(bytes(ix.data[:8])) if ix.program_id == perp_program else None
        out.append({"program": str(ix.program_id), "instruction": name or "unknown", "data": bytes(ix.data).hex(),
                    "accounts": [{"pubkey": str(m.pubkey), "signer": m.is_signer, "writable": m.is_writable}
                                 for m in ix.accounts]})
    return out


def _simulate_or_refuse(cfg: OpsConfig, chain: Chain, ixs: list[Instruction]) -> Simulation:
    sim = simulate(chain, ixs, cfg.perp_program, cfg.local_program)
    if not sim.ok:
        tail = "\n".join(sim.logs[-8:])
        raise OpsError(f"refused: the simulation failed with {sim.error}\n{tail}")
    return sim


def checklist(cfg: OpsConfig, chain: Chain, ms: Multisig, action: str, extra: list[str], warnings: list[str]) -> list[str]:
    """What an approver confirms before signing."""
    admin = exchange(Context(chain, cfg.vault, cfg.perp_program)).admin
    lines = [
        f"the action is {action} on the perp program {cfg.perp_program}, and its arguments match the change request",
        f"the signer is vault {cfg.vault} (index {cfg.vault_index}) of multisig {cfg.multisig}; the exchange admin is "
        + ("this vault" if admin == cfg.vault else f"{admin}, NOT this vault: execution will fail"),
        "every field in the state diff is an intended change, and no other account changes",
        f"it executes after {ms.threshold} of {squads.num_voters(ms)} voters approve and a time lock of {ms.time_lock} s",
    ]
    return lines + extra + [f"acknowledged: {w}" for w in warnings]


def propose(cfg: OpsConfig, action: str, args: argparse.Namespace, dry_run: bool = False,
            accept_warnings: bool = False) -> dict[str, Any]:
    """Build, check and simulate ``action``; unless ``dry_run``, create its vault transaction and proposal."""
    chain = cfg.chain()
    ms = chain.multisig(cfg.multisig)
    _require_member(ms, cfg.member, squads.PERMISSION_INITIATE, "Initiate")
    plan: Plan = ACTIONS[action].build(Context(chain, cfg.vault, cfg.perp_program, cfg.max_change), args)
    if plan.refusals:
        raise OpsError("refused: " + "; ".join(plan.refusals))
    sim = _simulate_or_refuse(cfg, chain, plan.ixs)
    if plan.warnings and not accept_warnings and not dry_run:
        raise OpsError("refused without --accept-warnings: " + "; ".join(plan.warnings))
    index = ms.transaction_index + 1
    message = squads.compile_vault_message(cfg.vault, plan.ixs)
    encoded = squads.encode_transaction_message(message)
    ixs = [squads.create_vault_transaction_ix(cfg.multisig, index, cfg.member, message, cfg.vault_index,
                                              program_id=cfg.squads_program),
           squads.create_proposal_ix(cfg.multisig, index, cfg.member, program_id=cfg.squads_program)]
    report: dict[str, Any] = {
        "step": "propose", "action": action, "transaction_index": index, "multisig": str(cfg.multisig),
        "vault": str(cfg.vault), "summary": plan.summary, "warnings": plan.warnings,
        "instructions": describe_instructions(plan.ixs, cfg.perp_program),
        "message_sha256": hashlib.sha256(encoded).hexdigest(), "message": base64.b64encode(encoded).decode(),
        "simulation": sim.to_json(),
        "checklist": checklist(cfg, chain, ms, action, plan.checks, plan.warnings),
        "squads_instructions": [base64.b64encode(bytes(ix.data)).decode() for ix in ixs],
        "dry_run": dry_run,
    }
    if not dry_run:
        report["signature"] = str(chain.send(ixs, _keypair(cfg)))
    return report


def _keypair(cfg: OpsConfig) -> Keypair:
    if cfg.keypair is None:
        raise OpsError("sending needs the member's keypair (--keypair)")
    return cfg.keypair


def _load(chain: Chain, cfg: OpsConfig, index: int) -> tuple[Multisig, Proposal, VaultTransaction]:
    ms = chain.multisig(cfg.multisig)
    if not 1 <= index <= ms.transaction_index:
        raise OpsError(f"no transaction {index}: the multisig's last is {ms.transaction_index}")
    p = chain.proposal(cfg.multisig, index)
    if p is None:
        raise OpsError(f"transaction {index} has no proposal")
    vt = chain.vault_transaction(cfg.multisig, index)
    if vt is None:
        raise OpsError(f"transaction {index} is not a vault transaction (a config or batch transaction, or closed)")
    return ms, p, vt


def _stored_instructions(cfg: OpsConfig, vt: VaultTransaction) -> list[Instruction]:
    vault = squads.vault_pda(cfg.multisig, vt.vault_index, cfg.squads_program)
    message = squads.from_stored_message(vt.message)
    if not message.account_keys or message.account_keys[0] != vault:
        raise OpsError(f"the transaction's first key is not vault {vt.vault_index} ({vault})")
    try:
        return message.instructions_out()
    except ValueError as e:
        raise OpsError(f"transaction {vt.index}: {e}") from None


def vote(cfg: OpsConfig, kind: str, index: int, dry_run: bool = False, memo: str | None = None) -> dict[str, Any]:
    """Approve (after re-running the simulation), reject or cancel proposal ``index``."""
    chain = cfg.chain()
    ms, p, vt = _load(chain, cfg, index)
    _require_member(ms, cfg.member, squads.PERMISSION_VOTE, "Vote")
    status = squads.status_name(p)
    wanted = "Approved" if kind == "cancel" else "Active"
    if status != wanted:
        raise OpsError(f"proposal {index} is {status}: only an {wanted} proposal takes a {kind} vote")
    if kind != "cancel" and index <= ms.stale_transaction_index:
        raise OpsError(f"proposal {index} is stale (the multisig's configuration changed after it)")
    voted = {"approve": p.approved, "reject": p.rejected, "cancel": p.cancelled}[kind]
    if cfg.member in voted:
        raise OpsError(f"{cfg.member} already voted {kind} on proposal {index}")
    ixs = _stored_instructions(cfg, vt)
    report: dict[str, Any] = {"step": kind, "transaction_index": index, "status": status,
                              "instructions": describe_instructions(ixs, cfg.perp_program), "dry_run": dry_run}
    if kind == "approve":
        sim = _simulate_or_refuse(cfg, chain, ixs)
        names = ", ".join(i["instruction"] for i in report["instructions"])
        report["simulation"] = sim.to_json()
        report["checklist"] = checklist(cfg, chain, ms, names, [], [])
        report["approvals_after"] = f"{len(p.approved) + 1} of {ms.threshold}"
    if not dry_run:
        report["signature"] = str(chain.send([squads.vote_ix(kind, cfg.multisig, index, cfg.member, memo,
                                                             cfg.squads_program)], _keypair(cfg)))
    return report


def execute(cfg: OpsConfig, index: int, dry_run: bool = False) -> dict[str, Any]:
    """Execute approved proposal ``index`` once its time lock is released (re-simulated first)."""
    chain = cfg.chain()
    ms, p, vt = _load(chain, cfg, index)
    _require_member(ms, cfg.member, squads.PERMISSION_EXECUTE, "Execute")
    status = squads.status_name(p)
    if status == "Active":
        raise OpsError(f"proposal {index}: threshold not met ({len(p.approved)} of {ms.threshold} approvals)")
    if status != "Approved":
        raise OpsError(f"proposal {index} is {status}: only an Approved proposal executes")
    _, now = chain.clock()
    remaining = squads.time_lock_remaining(p, ms, now)
    if remaining:
        raise OpsError(f"proposal {index}: time lock not released, {remaining} s remaining")
    ixs = _stored_instructions(cfg, vt)
    sim = _simulate_or_refuse(cfg, chain, ixs)
    message = squads.from_stored_message(vt.message)
    ix = squads.execute_ix(cfg.multisig, index, cfg.member, message, cfg.squads_program)
    report: dict[str, Any] = {"step": "execute", "transaction_index": index, "simulation": sim.to_json(),
                              "instructions": describe_instructions(ixs, cfg.perp_program), "dry_run": dry_run,
                              "execute_accounts": len(ix.accounts)}
    if not dry_run:
        report["signature"] = str(chain.send([ix], _keypair(cfg)))
    return report


def status(cfg: OpsConfig, limit: int = 20) -> dict[str, Any]:
    """The multisig, and its last ``limit`` transactions with their proposals' state."""
    chain = cfg.chain()
    ms = chain.multisig(cfg.multisig)
    _, now = chain.clock()
    first = max(1, ms.transaction_index - limit + 1)
    indexes = list(range(ms.transaction_index, first - 1, -1))
    keys = [k for i in indexes for k in (squads.proposal_pda(cfg.multisig, i, cfg.squads_program),
                                         squads.transaction_pda(cfg.multisig, i, cfg.squads_program))]
    accounts = chain.accounts(keys)
    rows = []
    for i in indexes:
        pa = accounts[squads.proposal_pda(cfg.multisig, i, cfg.squads_program)]
        ta = accounts[squads.transaction_pda(cfg.multisig, i, cfg.squads_program)]
        p = Proposal.decode(bytes(pa.data)) if pa is not None and pa.owner == cfg.squads_program else None
        action = "-"
        if ta is not None and ta.owner == cfg.squads_program:
            try:
                vt = VaultTransaction.decode(bytes(ta.data))
                ixs = squads.from_stored_message(vt.message).instructions_out()
                action = ", ".join(d["instruction"] for d in describe_instructions(ixs, cfg.perp_program))
            except ValueError:
                action = "not a vault transaction"
        row: dict[str, Any] = {"index": i, "action": action, "status": squads.status_name(p) if p else "no proposal",
                               "stale": i <= ms.stale_transaction_index}
        if p is not None:
            row.update(approvals=len(p.approved), threshold=ms.threshold, rejections=len(p.rejected),
                       rejection_cutoff=squads.rejection_cutoff(ms), status_since=squads.status_timestamp(p),
                       time_lock_remaining=squads.time_lock_remaining(p, ms, now))
        rows.append(row)
    return {"step": "status", "multisig": str(cfg.multisig), "vault": str(cfg.vault), "threshold": ms.threshold,
            "voters": squads.num_voters(ms), "members": [{"key": str(m.key), "permissions": m.permissions.mask}
                                                         for m in ms.members],
            "time_lock": ms.time_lock, "transaction_index": ms.transaction_index,
            "stale_transaction_index": ms.stale_transaction_index, "now": now, "proposals": rows}
