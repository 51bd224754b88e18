"""The generated fast builders lay out exactly the bytes and accounts anchorpy's builders do.

Every instruction of every IDL with a generated ``fast_instructions`` module is built both ways from
the same random accounts and arguments (strategies derived from the IDL itself, so an instruction
added to the IDL is covered without touching this file); a synthetic IDL covers the Borsh shapes the
project's IDLs do not use yet (option, vec, string, bytes, enums with data, nested structs, wide ints).
"""

from __future__ import annotations

import importlib
import keyword
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from anchorpy.clientgen.instructions import CONST_ACCOUNTS
from pyheck import snake
from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from localnet.codegen import REPO_ROOT, TARGETS


def _sanitize(name: str) -> str:
    """anchorpy's Python name for an IDL name that is a keyword (``None`` -> ``None_``)."""
    return f"{name}_" if keyword.iskeyword(name) else name


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_INT_BITS = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "u128": 128, "i8": 8, "i16": 16, "i32": 32, "i64": 64,
             "i128": 128}
pubkeys = st.binary(min_size=32, max_size=32).map(Pubkey.from_bytes)


def _value(ty: Any, types: dict[str, dict[str, Any]], types_pkg: str) -> st.SearchStrategy[Any]:
    """Values of IDL type ``ty`` as anchorpy's builders take them."""
    if isinstance(ty, str):
        if ty in _INT_BITS:
            bits = _INT_BITS[ty]
            return st.integers(-(1 << bits - 1), (1 << bits - 1) - 1) if ty[0] == "i" else st.integers(0, (1 << bits) - 1)
        return {"bool": st.booleans(), "publicKey": pubkeys, "string": st.text(max_size=6),
                "bytes": st.binary(max_size=6)}[ty]
    if "array" in ty:
        elem, n = ty["array"]
        return st.lists(_value(elem, types, types_pkg), min_size=n, max_size=n)
    if "option" in ty:
        return st.none() | _value(ty["option"], types, types_pkg)
    if "vec" in ty:
        return st.lists(_value(ty["vec"], types, types_pkg), max_size=3)
    name = ty["defined"]
    decl = types[name]["type"]
    module = importlib.import_module(f"{types_pkg}.{snake(name)}")
    if decl["kind"] == "struct":
        return st.builds(getattr(module, name), **{snake(f["name"]): _value(f["type"], types, types_pkg)
                                                    for f in decl["fields"]})
    variants = []
    for v in decl["variants"]:
        cls, fields = getattr(module, _sanitize(v["name"])), v.get("fields") or []
        if not fields:
            variants.append(st.just(cls()))
        elif isinstance(fields[0], dict) and "name" in fields[0]:
            variants.append(st.fixed_dictionaries({snake(f["name"]): _value(f["type"], types, types_pkg)
                                                   for f in fields}).map(lambda d, c=cls: c(value=d)))
        else:
            variants.append(st.tuples(*[_value(f, types, types_pkg) for f in fields]).map(lambda t, c=cls: c(value=t)))
    return st.one_of(variants)


def _flat(accounts: list[dict[str, Any]], prefix: str = "") -> list[str]:
    """The accounts a builder takes (anchorpy fills the well-known programs and sysvars itself)."""
    return [n for a in accounts for n in (_flat(a["accounts"], prefix + snake(a["name"]) + "_") if "accounts" in a
                                          else [] if snake(a["name"]) in CONST_ACCOUNTS else [prefix + snake(a["name"])])]


def _nested(accounts: list[dict[str, Any]], values: dict[str, Pubkey], prefix: str = "") -> dict[str, Any]:
    return {snake(a["name"]): _nested(a["accounts"], values, prefix + snake(a["name"]) + "_") if "accounts" in a
            else values[prefix + snake(a["name"])] for a in accounts if snake(a["name"]) not in CONST_ACCOUNTS}


def _check_equal(pkg: str, idl: dict[str, Any], ix: dict[str, Any], data: st.DataObject) -> None:
    types = {t["name"]: t for t in idl.get("types", [])}
    slow: ModuleType = importlib.import_module(f"{pkg}.instructions")
    fast: ModuleType = importlib.import_module(f"{pkg}.fast_instructions")
    names = _flat(ix["accounts"])
    accounts = {n: data.draw(pubkeys, label=n) for n in names}
    args = {snake(a["name"]): data.draw(_value(a["type"], types, f"{pkg}.types"), label=a["name"]) for a in ix["args"]}
    remaining = data.draw(st.lists(st.builds(AccountMeta, pubkeys, st.booleans(), st.booleans()), max_size=3))
    program_id = data.draw(pubkeys)
    kwargs: dict[str, Any] = {"program_id": program_id, "remaining_accounts": remaining}
    if ix["args"]:
        kwargs["args"] = args
    if ix["accounts"]:
        kwargs["accounts"] = _nested(ix["accounts"], accounts)
    expected = getattr(slow, snake(ix["name"]))(**kwargs)
    got = getattr(fast, snake(ix["name"]))(*accounts.values(), *args.values(), program_id=program_id,
                                           remaining_accounts=remaining)
    assert bytes(got.data) == bytes(expected.data)
    assert got.accounts == expected.accounts and got.program_id == program_id
    assert got == expected


def _project_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    cases = []
    for t in TARGETS:
        idl = json.loads((REPO_ROOT / t.idl).read_text())
        cases += [(f"programs_client.{t.client_package}", idl, ix) for ix in idl.get("instructions", [])]
    return cases


PROJECT_CASES = _project_cases()


def test_every_instruction_of_every_idl_is_covered() -> None:
    perp = {ix["name"] for pkg, _, ix in PROJECT_CASES if pkg == "programs_client.perp"}
    assert {"placeOrder", "cancelAllOrders", "consumeEvents", "updatePrices", "initializeMarket"} <= perp
    for pkg in {pkg for pkg, _, _ in PROJECT_CASES}:
        fast = importlib.import_module(f"{pkg}.fast_instructions")
        assert sorted(fast.__all__) == sorted(snake(ix["name"]) for p, _, ix in PROJECT_CASES if p == pkg)


@pytest.mark.parametrize("case", range(len(PROJECT_CASES)), ids=[f"{p.split('.')[-1]}.{ix['name']}"
                                                                  for p, _, ix in PROJECT_CASES])
@PROPERTY
@given(data=st.data())
def test_fast_builder_equals_anchorpy(case: int, data: st.DataObject) -> None:
    _check_equal(*PROJECT_CASES[case], data)


SYNTHETIC_IDL: dict[str, Any] = {
    "version": "0.1.0", "name": "shapes",
    "instructions": [
        {"name": "everyShape", "docs": ["Every Borsh shape."],
         "accounts": [{"name": "payer", "isMut": True, "isSigner": True},
                      {"name": "group", "accounts": [{"name": "inner", "isMut": False, "isSigner": False}]},
                      {"name": "amount", "isMut": True, "isSigner": False}],  # clashes with the arg below
         "args": [{"name": "amount", "type": "u64"}, {"name": "maybe", "type": {"option": "i32"}},
                  {"name": "items", "type": {"vec": {"defined": "Pair"}}}, {"name": "label", "type": "string"},
                  {"name": "blob", "type": "bytes"}, {"name": "action", "type": {"defined": "Action"}},
                  {"name": "wide", "type": "i128"}, {"name": "keys", "type": {"array": ["publicKey", 2]}},
                  {"name": "nested", "type": {"option": {"defined": "Pair"}}}]},
        {"name": "noArgs", "accounts": [{"name": "only", "isMut": False, "isSigner": True}], "args": []},
    ],
    "types": [
        {"name": "Pair", "type": {"kind": "struct", "fields": [
            {"name": "left", "type": "u16"}, {"name": "right", "type": {"vec": "u8"}},
            {"name": "flag", "type": "bool"}]}},
        {"name": "Action", "type": {"kind": "enum", "variants": [
            {"name": "Idle"},
            {"name": "Move", "fields": [{"name": "dx", "type": "i64"}, {"name": "tag", "type": {"option": "u8"}}]},
            {"name": "Pair", "fields": [{"defined": "Pair"}, "u32"]}]}},
    ],
    "metadata": {"address": "Shapes1111111111111111111111111111111111111"},
}


BARE_IDL: dict[str, Any] = {  # no types at all, a well-known account, an instruction without accounts or args
    "version": "0.1.0", "name": "bare", "metadata": SYNTHETIC_IDL["metadata"],
    "instructions": [{"name": "ping", "accounts": [{"name": "systemProgram", "isMut": False, "isSigner": False},
                                                  {"name": "who", "isMut": True, "isSigner": True}],
                      "args": [{"name": "count", "type": "u32"}]},
                     {"name": "pong", "accounts": [], "args": []}],
}


def _generated(factory: pytest.TempPathFactory, idl: dict[str, Any]) -> Iterator[str]:
    """Generate the client of ``idl`` as an importable package named ``<name>_client``; forget it after."""
    from localnet.codegen.client import generate_client

    package = f"{idl['name']}_client"
    root = factory.mktemp(idl["name"])
    (root / "idl.json").write_text(json.dumps(idl))
    generate_client(root / "idl.json", root / package)
    sys.path.insert(0, str(root))
    yield package
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def synthetic_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _generated(tmp_path_factory, SYNTHETIC_IDL)


@pytest.fixture(scope="module")
def bare_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _generated(tmp_path_factory, BARE_IDL)


@pytest.mark.parametrize("name", ["everyShape", "noArgs"])
@settings(PROPERTY, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_builder_equals_anchorpy_on_every_borsh_shape(synthetic_client: str, name: str,
                                                           data: st.DataObject) -> None:
    ix = next(i for i in SYNTHETIC_IDL["instructions"] if i["name"] == name)
    _check_equal(synthetic_client, SYNTHETIC_IDL, ix, data)


@pytest.mark.parametrize("name", ["ping", "pong"])
@settings(PROPERTY, max_examples=10, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_builder_equals_anchorpy_without_types(bare_client: str, name: str, data: st.DataObject) -> None:
    _check_equal(bare_client, BARE_IDL, next(i for i in BARE_IDL["instructions"] if i["name"] == name), data)


def test_fast_builder_refuses_a_wrong_array_length() -> None:
    from programs_client.perp import fast_instructions as fast
    from keepers.exchange.instructions import order_args
    from programs_client.perp.types import side

    order = order_args(side.Bid(), 1, 1)
    order.padding = [0] * 4
    key = Pubkey.new_unique()
    with pytest.raises(Exception, match="pack expected"):
        fast.place_order(key, key, key, key, key, order)

