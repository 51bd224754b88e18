"""One status poll for every transaction the pipeline is confirming.

Confirmation comes first from signature subscriptions; polling is the fallback. Polling per
transaction would cost two requests per transaction per interval (a status and the block height) and
exhaust an endpoint's rate limit as soon as a crash puts a few dozen liquidations in flight.
``StatusPoller`` instead runs one round per ``poll_s`` while anything is watched: one batched
``getSignatureStatuses`` for every watched signature and one ``getBlockHeight``; waiters read the
results after each round.
"""

from __future__ import annotations

import asyncio
import logging

from solders.signature import Signature

from keepers.chain.base import Chain, ChainError, SignatureStatus
from keepers.clock import LIVE, Clock

log = logging.getLogger("perpkeep.tx")


class StatusPoller:
    """Polls the statuses of the watched signatures and the block height, one round per ``poll_s``."""

    def __init__(self, chain: Chain, poll_s: float, clock: Clock = LIVE) -> None:
        self.chain = chain
        self.poll_s = poll_s
        self.clock = clock
        self.statuses: dict[Signature, SignatureStatus | None] = {}
        self.block_height: int | None = None
        self.rounds = 0
        self._watching: dict[Signature, bool] = {}  # signature -> search the whole history (after a restart)
        self._round: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    def watch(self, signature: Signature, search_history: bool = False) -> None:
        """Poll ``signature`` until ``unwatch``; ``search_history`` also finds it beyond recent slots."""
        self._watching[signature] = search_history
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="status-poller")

    def unwatch(self, signature: Signature) -> None:
        """Stop polling ``signature``."""
        self._watching.pop(signature, None)
        self.statuses.pop(signature, None)

    async def next_round(self, timeout_s: float) -> None:
        """Wait (at most ``timeout_s``) for the next poll round to finish."""
        if self._round is None or self._round.done():
            self._round = asyncio.get_running_loop().create_future()
        try:
            await self.clock.wait_for(asyncio.shield(self._round), timeout_s)
        except TimeoutError:
            pass

    async def close(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while self._watching:
            await self.clock.sleep(self.poll_s)
            await self._poll_once()
            self.rounds += 1
            if self._round is not None and not self._round.done():
                self._round.set_result(None)

    async def _poll_once(self) -> None:
        for search_history in (False, True):
            signatures = [s for s, h in self._watching.items() if h == search_history]
            if not signatures:
                continue
            try:
                found = await self.chain.get_signature_statuses(signatures, search_history=search_history)
            except ChainError as e:
                log.info("status poll failed: %s", e)
                continue
            for signature, status in zip(signatures, found):
                if signature in self._watching:
                    self.statuses[signature] = status
        try:
            self.block_height = await self.chain.get_block_height()
        except ChainError as e:
            log.info("block height poll failed: %s", e)


__all__ = ["StatusPoller"]
