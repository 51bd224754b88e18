"""A bench for the perp program's oracle readers: LiteSVM with the mock oracle and the oracle probe.

The probe (``tests/fixtures/sbf/oracle_probe.c``) links ``programs/perp/oracle.c`` unchanged and returns
what ``pk_oracle_decode`` / ``pk_oracle_select`` return as transaction return data, so tests and the
compute-unit benchmark observe the C readers on accounts that the mock oracle program wrote.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from keepers.exchange.oracles import OracleKind
from keepers.execution.results import Failed, Landed
from localnet.build import build_c_sources, build_program
from localnet.mock_oracle import MOCK_ORACLE_PROGRAM_ID, MockOracle, mock_oracle_config
from localnet.svm import LocalSvm
from programs_client.perp.types.market_params import MarketParams
from programs_client.perp.types.oracle_config import OracleConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
PROBE_SOURCES = (
    REPO_ROOT / "tests/fixtures/sbf/oracle_probe.c",
    REPO_ROOT / "programs/perp/oracle.c",
    REPO_ROOT / "programs/perp/math.c",
)
PROBE_INCLUDES = (REPO_ROOT / "programs/perp/include", REPO_ROOT / "programs/common/include")
PROBE_PROGRAM_ID = Pubkey(hashlib.sha256(b"perpkeep oracle probe").digest())

OP_BASELINE, OP_DECODE, OP_SELECT = 0, 1, 2
_RESULT = struct.Struct("<8Q")


def build_probe(out_dir: Path | None = None) -> bytes:
    """Build the oracle probe with the project's toolchain (cached by source hash); return its bytes."""
    out = (out_dir or REPO_ROOT / "build" / "programs") / "oracle_probe.so"
    return build_c_sources(PROBE_SOURCES, out, PROBE_INCLUDES).read_bytes()


def build_mock_oracle() -> bytes:
    """Build programs/mock_oracle (cached by source hash); return its bytes."""
    return Path(build_program("mock_oracle")).read_bytes()


@dataclass(frozen=True)
class ProbeResult:
    """What the probe returned: the C function's return code and outputs, and the compute units used."""

    rc: int
    price: int
    conf: int
    publish_slot: int
    status: int
    source: int
    primary_err: int
    fallback_err: int
    compute_units: int


class OracleLab:
    """LiteSVM with the probe and the mock oracle (initialised with a fresh authority)."""

    def __init__(self, probe: bytes, mock_oracle: bytes) -> None:
        self.svm = LocalSvm(probe, PROBE_PROGRAM_ID)
        self.svm.svm.add_program(MOCK_ORACLE_PROGRAM_ID, mock_oracle)
        self.oracle = MockOracle(self.svm.send, self.svm.funded_keypair(100))
        out = self.oracle.initialize()
        if isinstance(out, Failed):
            raise RuntimeError(f"mock oracle initialize failed: {out.error}\n" + "\n".join(out.logs))

    def set_raw(self, address: Pubkey, data: bytes, owner: Pubkey = MOCK_ORACLE_PROGRAM_ID) -> None:
        """Write an account directly: only for hostile fakes the mock oracle would never produce."""
        lamports = self.svm.svm.minimum_balance_for_rent_exemption(len(data))
        self.svm.set_account(address, Account(lamports, data, owner, False, 0))

    def data(self, address: Pubkey) -> bytes:
        """Return an account's data (KeyError when it does not exist)."""
        acc = self.svm.account(address)
        if acc is None:
            raise KeyError(str(address))
        return bytes(acc.data)

    def _run(self, op: int, kind: int, config: OracleConfig | None, params: MarketParams | None,
             current_slot: int, accounts: list[Pubkey]) -> ProbeResult:
        cfg = config.layout.build(config.to_encodable()) if config else bytes(200)
        prm = params.layout.build(params.to_encodable()) if params else bytes(MarketParams.layout.sizeof())
        data = bytes([op, kind]) + bytes(6) + cfg + prm + struct.pack("<Q", current_slot)
        metas = [AccountMeta(a, is_signer=False, is_writable=False) for a in accounts]
        out = self.svm.send([Instruction(PROBE_PROGRAM_ID, data, metas)])
        if not isinstance(out, Landed) or out.return_data is None:
            raise RuntimeError(f"probe failed: {getattr(out, 'error', out)}\n" + "\n".join(out.logs))
        return ProbeResult(*_RESULT.unpack(out.return_data), compute_units=out.compute_units)

    def decode(self, kind: OracleKind, account: Pubkey, feed_id: bytes = bytes(32)) -> ProbeResult:
        """Run ``pk_oracle_decode`` on ``account``'s data (feed_id: for Pyth pull accounts)."""
        config = _feed_config(feed_id) if any(feed_id) else None
        return self._run(OP_DECODE, kind, config, None, 0, [account])

    def baseline(self, account: Pubkey) -> ProbeResult:
        """Run the probe without an oracle call, for compute-unit deltas."""
        return self._run(OP_BASELINE, 0, None, None, 0, [account])

    def select(self, config: OracleConfig, params: MarketParams, primary: Pubkey | None,
               fallback: Pubkey | None = None, current_slot: int = 0) -> ProbeResult:
        """Run ``pk_oracle_select``; current_slot 0 = the Clock slot. Accounts None are not passed."""
        accounts = [a for a in (primary, fallback) if a is not None]
        if primary is None and fallback is not None:
            raise ValueError("the probe reads the first account as the primary")
        return self._run(OP_SELECT, 0, config, params, current_slot, accounts)


def _feed_config(feed_id: bytes) -> OracleConfig:
    return mock_oracle_config(OracleKind.PYTH_PULL_V2, Pubkey.default(), primary_feed_id=feed_id)


__all__ = ["PROBE_PROGRAM_ID", "OracleLab", "ProbeResult", "build_mock_oracle", "build_probe", "mock_oracle_config"]
