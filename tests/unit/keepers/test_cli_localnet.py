"""Argument parsing of `perpkeep localnet up` (the command itself runs in tests/integration/localnet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepers import cli


def test_localnet_up_options_reach_run_up(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run_up(opts):
        seen["opts"] = opts
        return 0

    import localnet.up

    monkeypatch.setattr(localnet.up, "run_up", fake_run_up)
    assert cli.main(["localnet", "up", "--rpc-port", "9000", "--slot-ms", "100", "--markets", "A-PERP, B-PERP",
                     "--users", "3", "--out", "/tmp/x", "--fault-seed", "4", "--faults", "f.toml"]) == 0
    opts = seen["opts"]
    assert (opts.rpc_port, opts.ws_port, opts.slot_ms, opts.users) == (9000, None, 100, 3)
    assert opts.markets == ("A-PERP", "B-PERP") and opts.out_dir == Path("/tmp/x")
    assert opts.fault_seed == 4 and opts.faults_file == Path("f.toml") and opts.validator is None


def test_localnet_requires_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["localnet"])
    assert info.value.code == 2
