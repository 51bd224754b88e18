"""Standby until the lease is ours, active while it stays ours: the loop of one process of a pair.

``run_active_standby`` starts the keeper as a standby (snapshot, subscriptions, ``/health``: everything
but sending), then:

1. standby: try to take the lease every ``renew_interval_s``;
2. on taking it: ``Keeper.activate`` resolves the journal's unfinished actions (the former holder's sent
   transactions are confirmed or resent as the very same bytes, so nothing it finished is done again)
   and starts the bots;
3. active: renew every ``renew_interval_s``; when a renewal is refused or the local deadline passes
   (``keepers.ha.lease``), the pipeline is already fenced: ``Keeper.deactivate`` stops the bots and the
   process is a standby again (1);
4. on stop (SIGTERM, SIGINT): an active process hands over: it refuses new actions, waits up to
   ``handover_timeout_s`` for those in flight, stops the bots and releases the lease, so the standby
   takes over at its next attempt (a rolling upgrade: start the new version as standby, then stop the old).

The role is exported as ``perpkeep_ha_role`` and ``perpkeep_ha_transitions_total`` and reported by
``/health`` (a standby is healthy).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from keepers.config import Config, HaConfig
from keepers.ha.lease import Lease
from keepers.runtime import Keeper

log = logging.getLogger("perpkeep.ha")


def instance_name(ha: HaConfig) -> str:
    """This process's name in the lease and the journal: ``[ha] name``, or host:pid."""
    return ha.name or f"{socket.gethostname()}:{os.getpid()}"


def make_lease(config: Config, holder: str) -> Lease:
    """The lease ``[ha]`` configures (mode "file" or "postgres")."""
    ha = config.ha
    if ha.mode == "file":
        from keepers.ha.file_lease import FileLease

        return FileLease(ha.path, ha.lease, holder, ha.lease_ttl_s)
    if ha.mode == "postgres":
        from keepers.ha.postgres_lease import PostgresLease

        assert ha.dsn is not None  # HaConfig refuses postgres without a dsn
        return PostgresLease(ha.dsn, ha.lease, holder, ha.lease_ttl_s)
    raise ValueError(f"ha.mode {ha.mode!r} has no lease")


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stop``; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), max(seconds, 0.0))
    except TimeoutError:
        return False
    return True


def _set_role(keeper: Keeper, active: bool) -> None:
    keeper.health.role = "active" if active else "standby"
    keeper.metrics.set_role(active)


async def run_active_standby(keeper: Keeper, lease: Lease, ha: HaConfig, stop: asyncio.Event) -> None:
    """Run ``keeper`` as one process of an active/standby pair until ``stop`` (see the module docstring)."""
    try:
        await keeper.start(active=False)
        _set_role(keeper, False)
        log.info("ha: standby for lease %r as %s", lease.name, lease.holder)
        while not stop.is_set():
            if not await lease.acquire():
                if await _wait(stop, ha.renew_interval_s):
                    break
                continue
            log.info("ha: took the lease %r: active", lease.name)
            _set_role(keeper, True)
            await keeper.activate()
            lost = await _hold(lease, ha, stop)
            if not lost:
                break
            _set_role(keeper, False)  # the pipeline is fenced already: it sends nothing from here on
            log.error("ha: lost the lease %r (%s): sending stopped, standby again", lease.name,
                      lease.last_error or "another process holds it")
            await keeper.deactivate()
        if keeper.active:
            log.info("ha: handing over: waiting for %d actions in flight (at most %.0f s)",
                     len(keeper.pipeline.in_flight), ha.handover_timeout_s)
            drained = await keeper.drain(ha.handover_timeout_s)
            if not drained:
                log.warning("ha: %d actions still in flight after %.0f s: left to the next holder (journal)",
                            len(keeper.pipeline.in_flight), ha.handover_timeout_s)
            await keeper.deactivate()
            await lease.release()
            _set_role(keeper, False)
            log.info("ha: released the lease %r", lease.name)
    finally:
        await keeper.stop()
        await lease.close()


async def _hold(lease: Lease, ha: HaConfig, stop: asyncio.Event) -> bool:
    """Renew until ``stop`` (False) or until the lease is lost (True)."""
    while True:
        # Renew early enough that a renewal which takes a while still lands within the local deadline.
        if await _wait(stop, min(ha.renew_interval_s, lease.remaining_s() / 2)):
            return False
        if not await lease.renew():
            return True


__all__ = ["instance_name", "make_lease", "run_active_standby"]
