"""Argument parsing of `perpkeep localnet up` (``localnet.cli``; the command itself runs in tests/integration/localnet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from perpkeep_cli import main


def test_localnet_up_options_reach_run_up(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run_up(opts):
        seen["opts"] = opts
        return 0

    import localnet.up

    monkeypatch.setattr(localnet.up, "run_up", fake_run_up)
    assert main(["localnet", "up", "--rpc-port", "9000", "--slot-ms", "100", "--markets", "A-PERP, B-PERP",
                     "--users", "3", "--out", "/tmp/x", "--fault-seed", "4", "--faults", "f.toml"]) == 0
    opts = seen["opts"]
    assert (opts.rpc_port, opts.ws_port, opts.slot_ms, opts.users) == (9000, None, 100, 3)
    assert opts.markets == ("A-PERP", "B-PERP") and opts.out_dir == Path("/tmp/x")
    assert opts.fault_seed == 4 and opts.faults_file == Path("f.toml") and opts.validator is None
    assert (opts.prices.path, opts.prices.cadence_slots, opts.prices.seed) == ("gbm", 1, 0)


def test_localnet_up_price_options(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}
    import localnet.up

    monkeypatch.setattr(localnet.up, "run_up", lambda opts: seen.setdefault("opts", opts) and 0)
    assert main(["localnet", "up", "--price-path", "replay:prices.csv", "--price-cadence", "5", "--price-seed", "11"]) == 0
    prices = seen["opts"].prices
    assert (prices.path, prices.cadence_slots, prices.seed) == ("replay:prices.csv", 5, 11)
    assert prices.replay_file == Path("prices.csv")


@pytest.mark.parametrize("args", [["--price-path", "brownian"], ["--price-path", "replay:"], ["--price-cadence", "0"]])
def test_localnet_up_bad_price_options_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["localnet", "up", *args])
    assert info.value.code == 2


def test_localnet_up_unreadable_replay_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["localnet", "up", "--rpc-port", "0", "--ws-port", "0", "--out", str(tmp_path / "net"),
                     "--price-path", f"replay:{tmp_path / 'missing.csv'}"])
    assert code == 1 and "cannot read price replay" in capsys.readouterr().err


def test_localnet_requires_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["localnet"])
    assert info.value.code == 2
