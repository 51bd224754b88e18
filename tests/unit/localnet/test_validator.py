"""The solana-test-validator command line (tested whether or not the binary is installed)."""

from __future__ import annotations

from pathlib import Path

from solders.pubkey import Pubkey

from localnet.validator import ValidatorSpec, find_validator, rpc_healthy, validator_argv
from programs_client.perp.program_id import PROGRAM_ID


def test_argv_has_throwaway_ledger_programs_and_local_ports(tmp_path: Path) -> None:
    other = Pubkey.new_unique()
    spec = ValidatorSpec(ledger=tmp_path / "ledger", programs=((PROGRAM_ID, Path("/b/perp.so")), (other, Path("/b/mock.so"))),
                         binary="/opt/solana/bin/solana-test-validator", rpc_port=18899, faucet_port=19900)
    argv = validator_argv(spec)
    assert argv[0] == "/opt/solana/bin/solana-test-validator"
    assert argv[argv.index("--ledger") + 1] == str(tmp_path / "ledger") and "--reset" in argv and "--quiet" in argv
    assert argv[argv.index("--rpc-port") + 1] == "18899" and argv[argv.index("--faucet-port") + 1] == "19900"
    assert argv[argv.index("--bind-address") + 1] == "127.0.0.1"
    programs = [argv[i + 1 : i + 3] for i, a in enumerate(argv) if a == "--bpf-program"]
    assert programs == [[str(PROGRAM_ID), "/b/perp.so"], [str(other), "/b/mock.so"]]
    assert spec.rpc_url == "http://127.0.0.1:18899" and spec.ws_url == "ws://127.0.0.1:18900"


def test_optional_arguments(tmp_path: Path) -> None:
    spec = ValidatorSpec(ledger=tmp_path, programs=(), slots_per_epoch=64, extra_args=("--log",))
    argv = validator_argv(spec)
    assert argv[argv.index("--slots-per-epoch") + 1] == "64" and argv[-1] == "--log"
    assert "--bpf-program" not in argv
    assert argv[argv.index("--dynamic-port-range") + 1] == "8002-8020"


def test_absent_binary_and_unreachable_endpoint() -> None:
    assert find_validator("no-such-binary-perpkeep") is None
    assert rpc_healthy("http://127.0.0.1:9", timeout_s=0.2) is False


def test_upgradeable_programs_name_their_upgrade_authority(tmp_path: Path) -> None:
    admin = Pubkey.new_unique()
    spec = ValidatorSpec(ledger=tmp_path, programs=(), upgradeable_programs=((PROGRAM_ID, Path("/b/perp.so"), admin),))
    argv = validator_argv(spec)
    i = argv.index("--upgradeable-program")
    assert argv[i + 1 : i + 4] == [str(PROGRAM_ID), "/b/perp.so", str(admin)] and "--bpf-program" not in argv
