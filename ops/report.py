"""Plain-text rendering of the reports of ``ops.proposals`` (the CLI's default output; ``--json`` prints them raw)."""

from __future__ import annotations

from typing import Any


def _simulation(sim: dict[str, Any]) -> list[str]:
    lines = [f"Simulation: {'ok' if sim['ok'] else 'FAILED ' + str(sim['error'])}, {sim['compute_units']} CU"]
    if not sim["diffs"]:
        lines.append("  no account changes")
    for d in sim["diffs"]:
        lines.append(f"  {d['kind']} {d['address']}{' (created)' if d['created'] else ''}")
        for c in d["changes"]:
            before = "-" if c["before"] is None else c["before"]
            lines.append(f"    {c['field']}: {before} -> {c['after']}")
        if d["omitted"]:
            lines.append(f"    ... {d['omitted']} more changed fields")
    return lines


def _status(r: dict[str, Any]) -> list[str]:
    lines = [f"Multisig {r['multisig']}: threshold {r['threshold']} of {r['voters']} voters, time lock {r['time_lock']} s",
             f"Vault {r['vault']}; last transaction {r['transaction_index']}, stale up to {r['stale_transaction_index']}"]
    if not r["proposals"]:
        lines.append("no transactions")
    for p in r["proposals"]:
        line = f"  #{p['index']} {p['status']}{' (stale)' if p['stale'] else ''}: {p['action']}"
        if "approvals" in p:
            line += f"; approvals {p['approvals']}/{p['threshold']}, rejections {p['rejections']}/{p['rejection_cutoff']}"
            if p["time_lock_remaining"] is not None:
                line += (f"; time lock {p['time_lock_remaining']} s remaining" if p["time_lock_remaining"]
                         else "; time lock released")
        lines.append(line)
    return lines


def render(r: dict[str, Any]) -> str:
    """A report as the lines a person reads."""
    if r["step"] == "status":
        return "\n".join(_status(r)) + "\n"
    head = f"{r['step']} transaction {r['transaction_index']}"
    lines = [head + (" (dry run: nothing sent)" if r.get("dry_run") else "")]
    if "action" in r:
        lines.append(f"Action: {r['action']} via vault {r['vault']}")
    lines += [f"  {s}" for s in r.get("summary", [])]
    for ix in r.get("instructions", []):
        lines.append(f"Instruction {ix['instruction']} ({ix['program']}), {len(ix['accounts'])} accounts")
    lines += [f"WARNING: {w}" for w in r.get("warnings", [])]
    if "simulation" in r:
        lines += _simulation(r["simulation"])
    if "message_sha256" in r:
        lines.append(f"Vault transaction message sha256: {r['message_sha256']}")
    if r.get("checklist"):
        lines.append("Approver checklist:")
        lines += [f"  [ ] {c}" for c in r["checklist"]]
    if "approvals_after" in r:
        lines.append(f"Approvals after this vote: {r['approvals_after']}")
    if "signature" in r:
        lines.append(f"Sent: {r['signature']}")
    return "\n".join(lines) + "\n"
