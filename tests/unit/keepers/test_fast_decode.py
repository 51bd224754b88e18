"""The compiled decoders return exactly what the generated ``decode`` returns, and fail where it fails."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import programs_client.perp.accounts as accounts
from keepers.exchange.fast_decode import CompiledDecoder, compile_decoder, decoder_for
from keepers.exchange.pdas import exchange_pda, insurance_fund_pda, insurance_stake_pda
from localnet.build import build_program
from sim.scenario import LedgerWorld, ScenarioSettings, build_ledger_world

ACCOUNT_CLASSES = [c for _, c in inspect.getmembers(accounts, inspect.isclass) if hasattr(c, "discriminator")]


def _outcome(fn, data: bytes):  # noqa: ANN001, ANN202
    try:
        return "ok", fn(data)
    except Exception:  # noqa: BLE001 - the decoders raise different types; failing is what must agree
        return "error", None


@pytest.fixture(scope="module")
def world(perp_program: bytes) -> LedgerWorld:
    return build_ledger_world(ScenarioSettings(users=1), perp_program, Path(build_program("mock_oracle")).read_bytes())


def test_every_account_class_compiles() -> None:
    assert {c.__name__ for c in ACCOUNT_CLASSES} >= {"Exchange", "Market", "User", "Orderbook", "EventQueue",
                                                     "InsuranceFund", "InsuranceStake"}
    for cls in ACCOUNT_CLASSES:
        assert decoder_for(cls) is not cls.decode, cls.__name__


def test_real_accounts_decode_identically(world: LedgerWorld) -> None:
    dep = world.dep
    market = accounts.Market.decode(bytes(world.ledger.get_account(dep.markets[0].address).data))
    addresses = {
        accounts.Exchange: exchange_pda(dep.program_id), accounts.Market: dep.markets[0].address,
        accounts.User: dep.user_accounts["user-0"], accounts.Orderbook: market.orderbook,
        accounts.EventQueue: market.event_queue, accounts.InsuranceFund: insurance_fund_pda(dep.program_id),
        accounts.InsuranceStake: insurance_stake_pda(dep.wallets["admin"].pubkey(), dep.program_id),
    }
    for cls, address in addresses.items():
        data = bytes(world.ledger.get_account(address).data)
        assert compile_decoder(cls)(data) == cls.decode(data), cls.__name__


@pytest.mark.parametrize("cls", ACCOUNT_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_bytes_agree(cls: type, data: st.DataObject) -> None:
    size = CompiledDecoder(cls).size
    if data.draw(st.booleans()):
        body = data.draw(st.binary(min_size=0, max_size=size + 16))  # mostly too short
    else:  # full length, mostly zeros (valid enum indexes), some random bytes
        body = bytearray(size)
        for _ in range(data.draw(st.integers(0, 8))):
            body[data.draw(st.integers(0, size - 1))] = data.draw(st.integers(0, 255))
        body = bytes(body)
    raw = cls.discriminator + body
    fast, slow = _outcome(compile_decoder(cls), raw), _outcome(cls.decode, raw)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1]
    assert _outcome(compile_decoder(cls), b"\0" * 8 + body)[0] == "error"  # wrong discriminator
