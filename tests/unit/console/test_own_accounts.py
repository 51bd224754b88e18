"""keepers/console/risk.py's ``own_accounts`` over ``AccountCache.users_of``: the keeper wallet's margin
accounts, found without a scan of every user, never missing one that opened or still listing one that
closed, whatever else opens and closes meanwhile."""

from __future__ import annotations

from keepers.cache import AccountCache
from keepers.console import risk
from localnet.bootstrap import LocalExchange
from tests.unit.keepers.test_cache import closed, read


def test_own_accounts_follow_opens_and_closes(exchange: LocalExchange) -> None:
    cache = AccountCache(exchange.program_id)
    me = exchange.add_user(tokens=0)
    others = [exchange.add_user(tokens=0) for _ in range(3)]
    for u in [me, *others]:
        assert cache.apply(read(exchange, u.address, 10)) is not None
    assert [a for a, _ in risk.own_accounts(cache, me.authority)] == [me.address]

    second = exchange.add_user(tokens=0, sub_id=1, keypair=me.keypair)  # a second sub-account of the wallet
    cache.apply(read(exchange, second.address, 11))
    assert [a for a, _ in risk.own_accounts(cache, me.authority)] == [me.address, second.address]

    # one of ours closes as another user opens (the number of users unchanged)
    cache.apply(closed(second.address, 12))
    cache.apply(read(exchange, exchange.add_user(tokens=0).address, 12))
    assert [a for a, _ in risk.own_accounts(cache, me.authority)] == [me.address]  # closed ones never listed
    third = exchange.add_user(tokens=0, sub_id=2, keypair=me.keypair)
    cache.apply(read(exchange, third.address, 13))
    cache.apply(closed(others[0].address, 13))
    assert [a for a, _ in risk.own_accounts(cache, me.authority)] == [me.address, third.address]
    assert [a for a, _ in risk.own_accounts(cache, others[1].authority)] == [others[1].address]
    assert cache.users_of(others[0].authority) == []  # closed: gone from the index too
