"""Attack cases: perp instructions generated from the IDL, signed only by the attacker's keys.

Every case picks instructions of ``idl_model.INSTRUCTIONS`` and fills their accounts by role (the
attacker's key in every signer slot: admin, authority, delegate, liquidator) and their arguments with a
mix of plausible values (marks, band edges, the victim's order ids and balances) and boundary or random
ones. Modes:

- ``valid``: plausible accounts and arguments, e.g. the attacker trading, withdrawing, cancelling the
  victim's order through its own account, signing for the victim's account or the admin's instructions;
- ``permuted``: a valid instruction with its accounts permuted: swapped, substituted (the victim's,
  the admin's, other markets' PDAs, foreign-owned copies, system / SPL accounts), duplicated, extra,
  dropped, without their signer or writable flag, or writable where they should not be;
- ``mutated``: a valid instruction with mutated data: bit flips, truncation, extension, a wrong or
  foreign discriminator;
- ``random``: arguments mostly drawn from the types' boundaries and random bits, accounts from the pool;
- ``combo``: two to four valid instructions in one transaction;
- ``scripted`` (part of the combos): the attack shapes of the security review in one transaction, the
  attacker and the accomplice taking random roles: lever up and close reduce-only into the accomplice's
  order at the band edge; sweep a side, quote far, crank the mark, liquidate the victim, cancel; reserve
  huge sizes and withdraw; wash-trade at the band edge, settle and withdraw.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID

from keepers.exchange import instructions as ix
from localnet.fuzz.idl_model import INSTRUCTIONS, TYPES, IdlInstruction, snake_case
from localnet.fuzz.world import ASK, BID, MARKETS, Actor, FuzzMarket, FuzzWorld, Snapshot
from programs_client.perp.constants import BASE_PRECISION as BASE, QUOTE_PRECISION as QUOTE
from programs_client.perp.types import order_type, side

MODES = ("valid", "permuted", "mutated", "random", "combo")
MODE_WEIGHTS = (30, 28, 22, 12, 8)
U64_MAX = 2**64 - 1


@dataclass(frozen=True)
class Case:
    """One transaction the attacker sends: its instructions (by IDL name), mode, signers and a label."""

    mode: str
    names: tuple[str, ...]
    instructions: tuple[Instruction, ...]
    signers: tuple[Keypair, ...]
    label: str


@dataclass
class _Context:
    """What one instruction of a case is about: a market, a target account and the snapshot."""

    world: FuzzWorld
    snap: Snapshot
    rng: random.Random
    market: FuzzMarket
    other: FuzzMarket
    user: Pubkey  # the margin account the instruction is aimed at
    actor: Actor  # the attacker or the accomplice: its key signs


def _pick_target(w: FuzzWorld, rng: random.Random, own: Actor) -> Pubkey:
    """The signer's own account most of the time, else the victim's, the maker's or the other attacker's."""
    other = w.accomplice if own is w.attacker else w.attacker
    return rng.choices([own.address, w.victim.address, w.maker.address, other.address], [65, 20, 8, 7])[0]


def _context(w: FuzzWorld, snap: Snapshot, rng: random.Random) -> _Context:
    m = rng.choice(w.markets)
    other = rng.choice([x for x in w.markets if x.index != m.index] or [m])
    actor = w.attacker if rng.random() < 0.8 else w.accomplice
    return _Context(w, snap, rng, m, other, _pick_target(w, rng, actor), actor)


# ------------------------------------------------------------------------------------------------
# accounts by role


def _pool(c: _Context) -> list[Pubkey]:
    """Every account a permutation may substitute: the world's fixed ones and every margin account."""
    base = c.world.substitutes
    return base + [u for u in c.world.known_users if u not in base]


def _role_account(name: str, c: _Context) -> Pubkey:
    """The account a caller aiming at ``c.user`` in ``c.market`` would pass for the IDL account ``name``."""
    w, m, rng = c.world, c.market, c.rng
    victimish = rng.random() < 0.25
    own = c.actor
    key = own.authority
    table = {
        "admin": key, "authority": key, "signer": key, "liquidator": key,
        "exchange": w.addresses.exchange, "collateralMint": w.ex.mint,
        "collateralVault": w.addresses.collateral_vault, "insuranceVault": w.addresses.insurance_vault,
        "tokenProgram": TOKEN_PROGRAM_ID, "systemProgram": SYSTEM_PROGRAM_ID,
        "market": m.market, "orderbook": m.orderbook, "eventQueue": m.event_queue,
        "user": c.user, "liquidatorUser": own.address,
        "userTokenAccount": w.victim.token_account if victimish else own.token_account,
        "destination": own.token_account,
        "insuranceFund": w.addresses.insurance_fund,
        "insuranceStake": w.stake_accounts[0] if victimish else w.stake_accounts[1 if own is w.attacker else 2],
        "oraclePrimary": m.oracles.primary.address,
        "oracleFallback": (m.oracles.fallback or m.oracles.primary).address,
    }
    if name in table:
        return table[name]
    return rng.choice(_pool(c))  # an account the IDL gained after this table was written


def _remaining(ins: IdlInstruction, c: _Context) -> list[AccountMeta]:
    """The trailing accounts a valid call passes: the other markets (margin checks) or the queued makers."""
    if ins.name == "consumeEvents":
        q = c.snap.queues[c.market.index]
        makers = list(dict.fromkeys(q.fills[(q.head + i) % len(q.fills)].maker for i in range(min(q.count, 16))))
        return [AccountMeta(a, False, True) for a in makers]
    if ins.name in ("withdraw", "placeOrder", "liquidatePerp", "settleFunding"):
        every = ins.name in ("withdraw", "settleFunding")
        others = [x.market for x in c.world.markets if x.index != c.market.index or every]
        return [AccountMeta(a, False, False) for a in others]
    return []


# ------------------------------------------------------------------------------------------------
# arguments by name


def _hint(c: _Context):  # noqa: ANN202 - returns idl_model.Hint
    w, s, rng, m = c.world, c.snap, c.rng, c.market
    mk = s.markets[m.index]
    params = MARKETS[m.index][2]
    user = s.users.get(c.user)
    attacker = s.users[w.attacker.address]

    def order_ids() -> list[int]:
        book = s.books[m.index]
        orders = list(book.bids[: book.bid_count]) + list(book.asks[: book.ask_count])
        victim = [o.order_id for o in orders if o.owner == w.victim.address]
        ids = [o.order_id for o in orders]
        return victim * 3 + ids + [0, mk.next_order_id, U64_MAX]

    def hint(name: str, t: object):  # noqa: ANN202
        if name == "price" or name == "settlementPrice":
            mark, tick = mk.mark_price, params.tick_size
            book = s.books[m.index]
            resting = [o.price for o in list(book.bids[: book.bid_count]) + list(book.asks[: book.ask_count])]
            k = rng.randint(-60, 60)
            near = max(tick, (mark + mark * k // 100) // tick * tick)
            return rng.choice([near, near, mark, m.price // tick * tick, (mark + mark // 2) // tick * tick,
                               -(-(mark - mark // 2) // tick) * tick, tick, 1, mark * 10, U64_MAX, *resting[:4]])
        if name in ("baseAmount", "maxBaseAmount"):
            lot, mn = params.lot_size, params.min_order_size
            pos = [abs(p.base_amount) for u in (user, attacker) if u for p in u.positions if p.base_amount]
            lev = rng.choice([1, 2, 5, 10, 20, 100])
            sized = max(mn, attacker.collateral * lev * BASE // max(mk.mark_price, 1) // lot * lot)
            if rng.random() < 0.75:
                return rng.choice([mn, mn * rng.randint(1, 200), sized, *pos])
            return rng.choice([lot, mn + 1, 2**63 // lot * lot, U64_MAX, 0])
        if name in ("amount", "shares"):
            coll = user.collateral if user else 0
            stake = s.stakes.get(c.actor.authority)
            victim_stake = s.stakes.get(w.victim.authority)
            return rng.choice([0, 1, 10 * QUOTE, 1_000 * QUOTE, coll, coll + 1, coll // 2, attacker.collateral,
                               s.wallets[w.attacker.token_account], s.insurance, s.insurance + 1, U64_MAX,
                               stake.shares if stake else 1, victim_stake.shares if victim_stake else 1])
        if name == "expirySlot":  # good-til-cancelled, the boundaries around the current slot, far away
            return rng.choice([0, 0, 0, s.slot - 1, s.slot, s.slot + 1, s.slot + 2, s.slot + 40, U64_MAX])
        if name == "minFillBase":
            return rng.choice([0, 0, 0, params.min_order_size, params.lot_size, U64_MAX])
        if name == "padding":
            return None if rng.random() < 0.1 else [0] * t["array"][1]  # type: ignore[index]
        if name == "reduceOnly":
            return rng.choice([0, 0, 1])
        if name == "orderId":
            return rng.choice(order_ids())
        if name == "limit":
            return rng.choice([0, 1, 2, 8, 128, 65535])
        if name == "subId":
            return rng.choice([0, 1, 2, 65535])
        if name == "marketIndex":
            return rng.choice([m.index, len(w.markets), 0, 65535])
        if name in ("delegate", "newAdmin", "publicKey"):
            return rng.choice([w.attacker.authority, w.accomplice.authority, w.victim.authority, Pubkey.default(),
                               w.addresses.admin, w.attacker.address])
        if name == "name":
            return list(MARKETS[m.index][0].encode().ljust(16, b"\0"))
        if name == "params":
            return _params_variant(mk.params, rng)
        if name == "unstakeCooldownSecs":
            return rng.choice([0, -1, 1, 3600, 2**63 - 1])
        return None

    return hint


def _params_variant(p: object, rng: random.Random) -> dict[str, object]:
    """The market's parameters with one of them changed (a plausible admin edit)."""
    fields = TYPES["MarketParams"]["fields"]
    out = {f["name"]: getattr(p, snake_case(f["name"])) for f in fields}
    out["padding"] = list(out["padding"])  # type: ignore[arg-type]
    f = rng.choice([f for f in fields if f["name"] != "padding"])
    out[f["name"]] = rng.choice([0, 1, 10_000, 5, (1 << (16 if f["type"] == "u16" else 63)) - 1])
    return out


# ------------------------------------------------------------------------------------------------
# building and mutating


def _valid(ins: IdlInstruction, c: _Context, plausible: float) -> Instruction:
    metas = [AccountMeta(_role_account(a.name, c), a.signer, a.writable) for a in ins.accounts]
    data = ins.encode(ins.random_args(c.rng, _hint(c), plausible))
    return Instruction(c.world.svm.program_id, data, metas + _remaining(ins, c))


def _permute(instr: Instruction, c: _Context) -> Instruction:
    rng = c.rng
    metas = list(instr.accounts)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not metas:
            metas.append(AccountMeta(rng.choice(_pool(c)), False, False))
            continue
        i, j = rng.randrange(len(metas)), rng.randrange(len(metas))
        mi = metas[i]
        op = rng.randrange(9)
        if op <= 2:  # substitute
            metas[i] = AccountMeta(rng.choice(_pool(c)), mi.is_signer, mi.is_writable)
        elif op == 3:  # swap
            metas[i], metas[j] = AccountMeta(metas[j].pubkey, mi.is_signer, mi.is_writable), \
                AccountMeta(mi.pubkey, metas[j].is_signer, metas[j].is_writable)
        elif op == 4:  # duplicate
            metas[i] = AccountMeta(metas[j].pubkey, mi.is_signer, mi.is_writable)
        elif op == 5:  # flags
            metas[i] = AccountMeta(mi.pubkey, mi.is_signer and rng.random() < 0.5, not mi.is_writable)
        elif op == 6:  # drop trailing accounts
            del metas[rng.randrange(len(metas)):]
        elif op == 7:  # extra accounts
            metas += [AccountMeta(rng.choice(_pool(c)), False, rng.random() < 0.5) for _ in range(rng.randint(1, 4))]
        else:  # the market's accounts swapped for the other market's
            swap = {c.market.market: c.other.market, c.market.orderbook: c.other.orderbook,
                    c.market.event_queue: c.other.event_queue}
            k = rng.choice(list(swap))
            metas = [AccountMeta(swap[a.pubkey], a.is_signer, a.is_writable) if a.pubkey == k else a for a in metas]
    return Instruction(instr.program_id, instr.data, metas)


def _mutate_data(instr: Instruction, rng: random.Random) -> Instruction:
    data = bytearray(instr.data)
    op = rng.randrange(6)
    if op == 0 and data:
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(len(data) * 8)
            data[k // 8] ^= 1 << (k % 8)
    elif op == 1 and data:
        data[rng.randrange(len(data))] = rng.choice([0, 0xFF, 0x80, rng.randrange(256)])
    elif op == 2:
        del data[rng.randrange(len(data) + 1):]
    elif op == 3:
        data += bytes(rng.randrange(256) for _ in range(rng.choice([1, 7, 8, 64])))
    elif op == 4:  # another instruction's discriminator on this data
        data[:8] = rng.choice(INSTRUCTIONS).discriminator
    else:
        data[:8] = bytes(rng.randrange(256) for _ in range(8))
    return Instruction(instr.program_id, bytes(data), list(instr.accounts))


def _signers(instrs: list[Instruction], w: FuzzWorld) -> tuple[list[Instruction], tuple[Keypair, ...]]:
    """Clear the signer flag of keys the attacker does not hold; return the attacker's keys that sign."""
    ours = {w.attacker.authority: w.attacker.keypair, w.accomplice.authority: w.accomplice.keypair}
    out, signing = [], {}
    for instr in instrs:
        metas = []
        for a in instr.accounts:
            if a.is_signer and a.pubkey not in ours:
                a = AccountMeta(a.pubkey, False, a.is_writable)
            elif a.is_signer:
                signing[a.pubkey] = ours[a.pubkey]
            metas.append(a)
        out.append(Instruction(instr.program_id, instr.data, metas))
    return out, tuple(signing.values())


# Trading and margin instructions carry the economics: drawn more often than the rest (3) and admin ones (1).
_HEAVY = {"placeOrder": 12, "liquidatePerp": 5, "withdraw": 5, "cancelOrder": 4, "consumeEvents": 4}


def _weights() -> list[int]:
    return [_HEAVY.get(i.name, 1 if any(a.name == "admin" for a in i.accounts) else 3) for i in INSTRUCTIONS]


# ------------------------------------------------------------------------------------------------
# attack shapes: valid instructions in the orders a hostile review tries (issue 12)


def _order(c: _Context, who: Actor, s: int, price: int, base: int, kind: object, reduce_only: bool = False
           ) -> tuple[str, Instruction]:
    w = c.world
    others = [x.market for x in w.markets if x.index != c.market.index]
    args = ix.order_args(side.Bid() if s == BID else side.Ask(), price, base, kind, c.rng.getrandbits(32),  # type: ignore[arg-type]
                         reduce_only)
    return "placeOrder", ix.place_order(who.authority, who.address, c.market.index, args, others, w.svm.program_id)


def _edge(c: _Context, s: int) -> int:
    """The worst price of the band around the mark on side ``s``, on the tick."""
    mark, tick = c.snap.markets[c.market.index].mark_price, MARKETS[c.market.index][2].tick_size
    return (mark + mark // 2) // tick * tick if s == BID else -(-(mark - mark // 2) // tick) * tick


def _near(c: _Context, bps: int) -> int:
    """The mark moved by ``bps``, on the tick."""
    mark, tick = c.snap.markets[c.market.index].mark_price, MARKETS[c.market.index][2].tick_size
    return max(tick, mark * (10_000 + bps) // 10_000 // tick * tick)


def _size(c: _Context, who: Actor, leverage: int) -> int:
    """Base worth ``leverage`` times ``who``'s collateral at the mark (at most 80% of the market's maximum)."""
    p = MARKETS[c.market.index][2]
    leverage = min(leverage, 8_000 // p.initial_margin_bps)
    u = c.snap.users.get(who.address)
    coll = u.collateral if u else 0
    mark = max(c.snap.markets[c.market.index].mark_price, 1)
    return max(p.min_order_size, coll * leverage * BASE // mark // p.lot_size * p.lot_size)


def _scripted(c: _Context) -> list[tuple[str, Instruction]]:
    """One of the attack shapes, with the attacker (a) and the accomplice (b) taking random roles."""
    w, rng, m, pid = c.world, c.rng, c.market, c.world.svm.program_id
    a, b = (w.attacker, w.accomplice) if rng.random() < 0.5 else (w.accomplice, w.attacker)
    s = rng.choice([BID, ASK])
    o = ASK if s == BID else BID
    shape = rng.randrange(4)
    crank = ("updatePrices", m.oracles.update_prices_ix(m.index, pid))
    consume = ("consumeEvents", ix.consume_events(m.index, list(c.snap.users), 32, pid))  # every maker there is
    if shape == 0:  # lever up against the accomplice, then close reduce-only into its order at the band edge
        size, mark = _size(c, a, rng.choice([2, 3, 4])), _near(c, 0)
        return [_order(c, b, o, mark, size, order_type.Limit()),
                _order(c, a, s, mark, size, order_type.ImmediateOrCancel()),
                _order(c, b, s, _edge(c, o), size, order_type.Limit()),
                _order(c, a, o, _edge(c, o), size, order_type.ImmediateOrCancel(), reduce_only=True),
                consume]
    if shape == 1:  # sweep one side, quote far on the book, crank the mark, liquidate, cancel
        others = [x.market for x in w.markets if x.index != m.index]
        target = rng.choice([w.victim.address, w.maker.address])
        return [_order(c, a, s, _near(c, 200 if s == BID else -200), _size(c, a, rng.choice([1, 2])),
                       order_type.ImmediateOrCancel()),
                _order(c, b, o, _edge(c, s), _size(c, b, 1), order_type.Limit()),
                crank,
                ("liquidatePerp", ix.liquidate_perp(a.authority, a.address, target, m.index,
                                                    rng.choice([U64_MAX, 10**12]), others, pid)),
                ("cancelAllOrders", ix.cancel_all_orders(b.authority, b.address, m.index, pid))]
    if shape == 2:  # reserve huge sizes in a cheap market, then withdraw
        lot = MARKETS[m.index][2].lot_size
        huge = rng.choice([2**62, 2**63 - 1, U64_MAX // 2, 2**40]) // lot * lot
        coll = c.snap.users[a.address].collateral
        return [_order(c, a, BID, _edge(c, ASK), huge, order_type.PostOnly()),
                _order(c, a, BID, _edge(c, ASK), huge, order_type.PostOnly()),
                ("withdraw", ix.withdraw(a.authority, a.token_account, rng.choice([coll, coll - coll // 10]), 0, pid,
                                         [x.market for x in w.markets]))]
    # wash trades between the two accounts at the band edge, then settle and withdraw the winner's side
    size = _size(c, a, rng.choice([2, 4, 6]))
    coll = c.snap.users[b.address].collateral
    return [_order(c, a, s, _edge(c, s), size, order_type.Limit()),
            _order(c, b, o, _edge(c, s), size, order_type.ImmediateOrCancel()),
            consume,
            ("settlePnl", ix.settle_pnl(b.address, m.index, pid)),
            ("withdraw", ix.withdraw(b.authority, b.token_account, rng.choice([coll, coll // 2]), 0, pid,
                                     [x.market for x in w.markets]))]


def generate(w: FuzzWorld, snap: Snapshot, rng: random.Random) -> Case:
    """The next attack case on the world in state ``snap``."""
    mode = rng.choices(MODES, MODE_WEIGHTS)[0]
    if mode == "combo" and rng.random() < 0.6:
        steps = _scripted(_context(w, snap, rng))
        instrs, signers = _signers([i for _, i in steps], w)
        names = tuple(n for n, _ in steps)
        return Case("scripted", names, tuple(instrs), signers, f"scripted {'+'.join(names)}")
    count = rng.randint(2, 4) if mode == "combo" else 1
    picked = rng.choices(INSTRUCTIONS, _weights(), k=count)
    instrs = []
    for ins in picked:
        c = _context(w, snap, rng)
        if mode == "random":
            instr = _valid(ins, c, plausible=0.3)
            if rng.random() < 0.5:
                instr = _permute(instr, c)
        else:
            instr = _valid(ins, c, plausible=0.95)
            if mode == "permuted":
                instr = _permute(instr, c)
            elif mode == "mutated":
                instr = _mutate_data(instr, rng)
        instrs.append(instr)
    instrs, signers = _signers(instrs, w)
    names = tuple(i.name for i in picked)
    return Case(mode, names, tuple(instrs), signers, f"{mode} {'+'.join(names)}")


__all__ = ["Case", "MODES", "generate"]
