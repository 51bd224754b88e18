"""``RpcChain``: the ``Chain`` interface over Solana JSON-RPC (HTTP) and PubSub (websocket).

HTTP. Every endpoint (``rpc_url``, which serves reads, and each of ``send_urls``, which only get
``sendTransaction``) has a solana-py ``AsyncClient`` and an ``asyncio_throttle.Throttler``.
Requests are posted with the client's own httpx session (``AsyncClient._provider.session``), not
through its typed methods, because:

- the typed methods wrap every HTTP failure in ``SolanaRpcException``: a 429 and its
  ``Retry-After`` header only survive as the exception's ``__cause__``, 5xx and connection
  failures are not told apart, and solders' parse errors escape unwrapped;
- three things this interface needs are missing: ``getRecentPrioritizationFees`` (neither
  solana-py nor solders know it), ``replaceRecentBlockhash`` in ``simulateTransaction`` and
  ``withContext`` in ``getProgramAccounts`` (the context slot ``AccountData.slot`` reports).

Replies are parsed with the solders response types the typed methods use, so transaction errors
are solders ``TransactionErrorType`` values and ``custom_error_code`` reads them. Whatever solders
cannot parse is diagnosed into a one-line ``BadResponse``; a JSON-RPC error object becomes a
``JsonRpcError``. Nothing but ``ChainError`` (and its subclasses) leaves a method.

Failures: 429 waits for ``Retry-After`` (the whole endpoint pauses, not just the request) and is
retried ``MAX_RATE_LIMITED_RETRIES`` times before ``RateLimited``; a wait longer than
``MAX_RETRY_AFTER_S`` raises ``RateLimited`` at once, so the caller decides. 5xx, timeouts and
connection errors are retried ``MAX_TRANSPORT_RETRIES`` times with jittered exponential backoff,
then raise ``ChainError``. Other 4xx statuses raise at once.

A broken or hostile endpoint: ``request_timeout_s`` is a deadline for a whole request (every attempt
read to its last byte, and the backoffs between them), not only per read as httpx applies it; a reply
is read as a stream and refused past ``max_reply_bytes`` (``max_snapshot_bytes`` for
``getProgramAccounts``, which returns every account); a ``getProgramAccounts`` entry that does not
parse is skipped and counted (``skipped_accounts``), not the whole snapshot; a reply whose context slot
is far ahead of the chain is refused (``keepers.chain.slots.SlotBound``, shared with the websocket).

Websocket: see ``keepers.chain.websocket``. Log messages and errors name an endpoint by
``host:port`` only, since URL paths often carry API keys.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import logging
import math
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from asyncio_throttle import Throttler
from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey
from solders.rpc.responses import (
    GetAccountInfoResp,
    GetBalanceResp,
    GetBlockHeightResp,
    GetLatestBlockhashResp,
    GetMultipleAccountsResp,
    GetSignatureStatusesResp,
    GetSlotResp,
    RpcKeyedAccount,
    SendTransactionResp,
    SimulateTransactionResp,
)
from solders.signature import Signature
from solders.transaction import VersionedTransaction
from solders.transaction_status import TransactionConfirmationStatus, TransactionStatus

from keepers.background import Background
from keepers.chain.base import (
    COMMITMENTS,
    URGENT,
    AccountCallback,
    AccountData,
    AccountFilter,
    BadResponse,
    Blockhash,
    ChainError,
    DataSizeFilter,
    RateLimited,
    SignatureCallback,
    SignatureStatus,
    Simulation,
    SlotCallback,
)
from keepers.chain.slots import SlotBound
from keepers.chain.websocket import WsSubscription, WsSubscriptions, account_data, backoff_s
from keepers.clock import LIVE, Clock
from keepers.config import ClusterConfig

log = logging.getLogger("perpkeep.chain")

MAX_MULTIPLE_ACCOUNTS = 100  # getMultipleAccounts (Agave)
MAX_SIGNATURE_STATUSES = 256  # getSignatureStatuses (Agave)
MAX_RATE_LIMITED_RETRIES = 3
MAX_TRANSPORT_RETRIES = 3
MAX_RETRY_AFTER_S = 30.0
DEFAULT_RETRY_AFTER_S = 1.0  # a 429 without a usable Retry-After
_HEADERS = {"Content-Type": "application/json"}
_CONFIRMATION = ((TransactionConfirmationStatus.Processed, "processed"),  # solders' enum is not hashable
                 (TransactionConfirmationStatus.Confirmed, "confirmed"),
                 (TransactionConfirmationStatus.Finalized, "finalized"))
T = TypeVar("T")
R = TypeVar("R", bound="_Reply")


class _Reply(Protocol):
    """A reply type: solders ``...Resp`` classes and ``_PrioritizationFeesResp``."""

    @classmethod
    def from_json(cls, raw: str) -> Any: ...


class JsonRpcError(ChainError):
    """The endpoint answered with a JSON-RPC error object (``code``, ``data`` as sent)."""

    def __init__(self, message: str, code: int, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


# -- URLs ---------------------------------------------------------------------------------------------
def derive_ws_url(rpc_url: str) -> str:
    """Return the PubSub URL of ``rpc_url``: http->ws, https->wss, port + 1 when one is given."""
    parts = urlsplit(rpc_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ValueError(f"RPC URL must be http(s)://host[:port][/path], got scheme {parts.scheme!r}")
    netloc = parts.netloc
    if parts.port is not None:
        netloc = f"{netloc.rsplit(':', 1)[0]}:{parts.port + 1}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, ""))


def endpoint_label(url: str) -> str:
    """Return ``host[:port]`` of ``url``: how logs and errors name an endpoint (paths may hold keys)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise ValueError(f"endpoint URL must be http(s) or ws(s) with a host, got scheme {parts.scheme!r}")
    return parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"


# -- replies ------------------------------------------------------------------------------------------
def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _failure(where: str, text: str, problem: str) -> ChainError:
    """Explain in one line why ``text`` is not a usable reply."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return BadResponse(f"{where}: reply is not JSON: {_snippet(text) or '(empty body)'}")
    if not isinstance(doc, dict):
        return BadResponse(f"{where}: reply is not a JSON-RPC response object: {_snippet(text)}")
    error = doc.get("error")
    if error is not None:
        if isinstance(error, dict) and type(error.get("code")) is int and isinstance(error.get("message"), str):
            code, message = error["code"], error["message"]
            return JsonRpcError(f"{where}: JSON-RPC error {code}: {_snippet(message)}", code, error.get("data"))
        return BadResponse(f"{where}: malformed JSON-RPC error: {_snippet(json.dumps(error))}")
    if "result" not in doc:
        return BadResponse(f"{where}: reply has neither result nor error: {_snippet(text)}")
    result = _snippet(json.dumps(doc["result"]))
    return BadResponse(f"{where}: unexpected result ({_snippet(problem, 100)}): {result}")


def _has_error_member(text: str) -> bool:
    if '"error"' not in text:  # cheap test first: base64 data cannot hold a quote, escaped strings hold \"
        return False
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and doc.get("error") is not None


def _decode(where: str, text: str, resp_type: type[R]) -> R:
    """Parse ``text`` as ``resp_type`` or raise the ``ChainError`` that explains why it is not one.

    Error replies are caught before solders sees them: it returns unknown error codes as a bare
    int and panics on some error ``data`` shapes.
    """
    if _has_error_member(text):
        raise _failure(where, text, "error reply")
    try:
        parsed = resp_type.from_json(text)
    except BaseException as e:  # noqa: BLE001 - SerdeJSONError, or pyo3's PanicException (a BaseException)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        raise _failure(where, text, str(e)) from None
    if not isinstance(parsed, resp_type):
        raise _failure(where, text, f"parsed as {type(parsed).__name__}")
    return parsed


class _PrioritizationFeesResp:
    """A getRecentPrioritizationFees reply (solders has no type for it): fees ordered by slot."""

    def __init__(self, value: list[int]) -> None:
        self.value = value

    @classmethod
    def from_json(cls, text: str) -> _PrioritizationFeesResp:
        result = json.loads(text)["result"]
        if not isinstance(result, list):
            raise ValueError("expected a list")
        for entry in result:
            fields = (entry.get(k) if isinstance(entry, dict) else None for k in ("slot", "prioritizationFee"))
            if not all(type(v) is int and v >= 0 for v in fields):
                raise ValueError("expected [{slot, prioritizationFee}] with whole numbers")
        return cls([e["prioritizationFee"] for e in sorted(result, key=lambda e: e["slot"])])


def _retry_after_s(header: str | None, now_unix_s: float) -> float:
    """Seconds asked by a Retry-After header (delta-seconds, or an HTTP date compared with ``now_unix_s``)."""
    if header is None:
        return DEFAULT_RETRY_AFTER_S
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER_S
        if when.tzinfo is None:  # no zone: not an HTTP date
            return DEFAULT_RETRY_AFTER_S
        seconds = when.timestamp() - now_unix_s
    return max(0.0, seconds) if math.isfinite(seconds) else DEFAULT_RETRY_AFTER_S


def _commitment_of(status: TransactionStatus) -> str:
    for value, name in _CONFIRMATION:
        if status.confirmation_status == value:
            return name
    return "finalized" if status.confirmations is None else "processed"  # nodes before confirmationStatus


def _filters_json(filters: Sequence[AccountFilter]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in filters:
        if isinstance(f, DataSizeFilter):
            out.append({"dataSize": f.size})
        else:
            data = base64.b64encode(f.data).decode()
            out.append({"memcmp": {"offset": f.offset, "bytes": data, "encoding": "base64"}})
    return out


def _wire(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _all(aws: list[Awaitable[T]]) -> list[T]:
    """Await all concurrently; on the first failure cancel the rest and raise it."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()


# -- endpoints ----------------------------------------------------------------------------------------
def _throttler(requests_per_second: float) -> Throttler:
    """A sliding-window limiter of ``requests_per_second`` (bursts of up to one second's worth)."""
    burst = max(1, int(requests_per_second))
    return Throttler(rate_limit=burst, period=burst / requests_per_second)


@dataclass
class _Endpoint:
    url: str
    label: str
    client: AsyncClient
    throttler: Throttler
    urgent_throttler: Throttler | None = None  # the reserved share for urgent requests (None: share 0)
    paused_until: float = 0.0  # monotonic time before which a 429 asked us not to call

    def throttler_for(self, urgent: bool) -> Throttler:
        return self.urgent_throttler if urgent and self.urgent_throttler is not None else self.throttler

    @property
    def session(self) -> httpx.AsyncClient:
        return self.client._provider.session  # noqa: SLF001 - see the module docstring


class RpcChain:
    """A ``Chain`` over a Solana JSON-RPC endpoint and its PubSub websocket.

    Parameters
    ----------
    cluster : ClusterConfig
        The keeper configuration's ``[cluster]`` section (tests build their own, or
        ``dataclasses.replace`` one): ``rpc_url`` for reads, simulation and sending; ``ws_url`` (default
        derived from ``rpc_url``, see ``derive_ws_url``); ``send_urls``, extra endpoints that also receive
        every ``sendTransaction``; ``commitment`` of every read and subscription;
        ``requests_per_second``, the rate limit per endpoint; ``urgent_share`` of it reserved for
        requests made while ``URGENT`` is set (the pipeline sets it for liquidations: they never queue
        behind bulk requests, which get the rest; 0 puts every request in one queue);
        ``request_timeout_s``, the deadline of one HTTP request with its retries (and of opening the
        websocket and of a subscribe reply); ``silence_s`` after which a connection without notifications
        is reconnected; ``max_reply_bytes``, ``max_snapshot_bytes``; ``max_slot_lead`` and ``max_slots_per_s`` (``SlotBound``).
    max_backoff_s : float
        Cap of the jittered exponential backoff (HTTP retries and reconnects).
    name : str, optional
        Name in logs; default the ``host:port`` of ``rpc_url``.
    clock : Clock
        Time of the 429 pauses and retry backoffs (and of the websocket's); the live clock by default.
        HTTP request timeouts and the rate limiter run on real time: they meet real I/O.

    Subscribe from coroutines of the loop the chain is used on: the first subscription starts the
    websocket task there.

    Counters (for tests and metrics): ``requests`` (HTTP requests posted), ``rate_limited`` (429
    answers), ``retries`` (requests repeated after a 429, 5xx or transport failure), ``reconnects``
    (websocket connections opened after the first), ``deadlines_missed``, ``oversized_replies``,
    ``skipped_accounts``, ``implausible_slots`` and ``ws_refused`` (by reason).
    """

    # Slot notifications stop with a dropped or silent websocket while the cluster goes on: a keeper
    # polls the Clock sysvar over HTTP while they are quiet (``keepers.runtime``).
    slots_can_stop = True

    def __init__(self, cluster: ClusterConfig, max_backoff_s: float = 8.0, name: str | None = None,
                 clock: Clock = LIVE) -> None:
        rpc_url, ws_url, send_urls = cluster.rpc_url, cluster.ws_url, cluster.send_urls
        commitment, requests_per_second, urgent_share = cluster.commitment, cluster.requests_per_second, cluster.urgent_share
        request_timeout_s, silence_s = cluster.request_timeout_s, cluster.silence_s
        if commitment not in COMMITMENTS:
            raise ValueError(f"commitment must be one of {', '.join(COMMITMENTS)}, got {commitment!r}")
        for label, value in (("requests_per_second", requests_per_second), ("request_timeout_s", request_timeout_s),
                             ("silence_s", silence_s), ("max_backoff_s", max_backoff_s)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{label} must be a positive number, got {value!r}")
        if not (isinstance(urgent_share, (int, float)) and 0 <= urgent_share < 1):
            raise ValueError(f"urgent_share must be in [0, 1), got {urgent_share!r}")
        ws_url = ws_url or derive_ws_url(rpc_url)
        self.name = name or endpoint_label(rpc_url)
        self.commitment = commitment
        self.requests = 0
        self.rate_limited = 0
        self.retries = 0
        self.deadlines_missed = 0  # requests without a complete reply within request_timeout_s
        self.oversized_replies = 0  # replies refused past max_reply_bytes
        self.skipped_accounts = 0  # accounts of a getProgramAccounts reply that did not parse
        self.implausible_slots = 0  # HTTP replies refused for a slot far ahead (``SlotBound``)
        self.slots = SlotBound(cluster.max_slot_lead, cluster.max_slots_per_s)
        self._request_timeout_s = request_timeout_s
        self._max_reply_bytes = cluster.max_reply_bytes
        self._max_snapshot_bytes = cluster.max_snapshot_bytes
        self._max_backoff_s = max_backoff_s
        self._clock = clock
        urgent_rps = requests_per_second * urgent_share
        self._endpoints = [
            _Endpoint(url, endpoint_label(url), AsyncClient(url, timeout=request_timeout_s),
                      _throttler(requests_per_second - urgent_rps), _throttler(urgent_rps) if urgent_rps > 0 else None)
            for url in dict.fromkeys([rpc_url, *send_urls])
        ]
        self._request_ids = 0
        self._background = Background(log, f"{self.name}: background send failed")
        self._closed = False
        self._ws = WsSubscriptions(ws_url, self, commitment, label=f"{self.name} ({endpoint_label(ws_url)})",
                                   silence_s=silence_s, max_backoff_s=max_backoff_s, open_timeout_s=request_timeout_s,
                                   clock=clock, slots=self.slots)

    @property
    def reconnects(self) -> int:
        """Websocket connections opened after the first."""
        return self._ws.reconnects

    @property
    def ws_refused(self) -> dict[str, int]:
        """Websocket messages and notifications dropped, by reason (see ``keepers.chain.websocket``)."""
        return self._ws.refused.counts

    # -- transport ----------------------------------------------------------------------------------
    async def _call(self, method: str, params: list[Any], resp_type: type[R], endpoint: _Endpoint | None = None) -> R:
        ep = endpoint or self._endpoints[0]
        text = await self._post(ep, method, params)
        return _decode(f"{ep.label} {method}", text, resp_type)

    async def _post(self, ep: _Endpoint, method: str, params: list[Any], max_bytes: int | None = None) -> str:
        """POST one request; return the body of its 200 reply (retrying as the module docstring says).

        ``request_timeout_s`` is a deadline for the whole request from its first send: attempts, their
        replies read to the last byte, and the backoffs between them (httpx alone applies it per read, so
        a reply dripping a byte at a time could hold a caller, and its locks, for ever). Waits for the
        rate limiter and for a 429's Retry-After are the caller's own pacing and do not count. The reply is
        refused past ``max_bytes`` (default ``max_reply_bytes``).
        """
        where = f"{ep.label} {method}"
        self._request_ids += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._request_ids, "method": method, "params": params}).encode()
        rate_limited = failures = 0
        loop = asyncio.get_running_loop()
        budget_s = self._request_timeout_s
        while True:
            if self._closed:
                raise ChainError(f"{where}: chain is closed")
            pause = ep.paused_until - self._clock.monotonic()
            if pause > 0:
                await self._clock.sleep(pause)
            await ep.throttler_for(URGENT.get()).acquire()
            self.requests += 1
            started = loop.time()
            try:
                async with asyncio.timeout(budget_s):
                    status, reason, retry_after, text = await self._attempt(ep, body, max_bytes)
            except TimeoutError:
                self.deadlines_missed += 1
                raise ChainError(f"{where}: no complete reply within request_timeout_s "
                                 f"({self._request_timeout_s:g} s)") from None
            except (httpx.HTTPError, httpx.InvalidURL) as e:
                problem = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            except RuntimeError as e:  # httpx, when ``close`` closed the client under this request
                if not self._closed:
                    raise
                raise ChainError(f"{where}: chain is closed") from e
            else:
                if status == 200:
                    return text
                if status == 429:
                    self.rate_limited += 1
                    wait_s = _retry_after_s(retry_after, self._clock.time())
                    if rate_limited >= MAX_RATE_LIMITED_RETRIES or wait_s > MAX_RETRY_AFTER_S:
                        raise RateLimited(f"{where}: HTTP 429 (rate limited), retry after {wait_s:g} s", wait_s)
                    rate_limited += 1
                    self.retries += 1
                    ep.paused_until = max(ep.paused_until, self._clock.monotonic() + wait_s)
                    log.info("%s: HTTP 429, waiting %.3g s", where, wait_s)
                    budget_s -= loop.time() - started
                    continue
                problem = f"HTTP {status} {reason}: {_snippet(text, 100)}"
                if status < 500:
                    raise ChainError(f"{where}: {problem}")
            budget_s -= loop.time() - started
            delay = backoff_s(failures, self._max_backoff_s)
            if failures >= MAX_TRANSPORT_RETRIES or delay >= budget_s:
                raise ChainError(f"{where}: {problem} (gave up after {failures + 1} attempts)")
            self.retries += 1
            failures += 1
            log.info("%s: %s; retry %d in %.2f s", where, problem, failures, delay)
            await self._clock.sleep(delay)
            budget_s -= delay

    async def _attempt(self, ep: _Endpoint, body: bytes, max_bytes: int | None) -> tuple[int, str, str | None, str]:
        """Send ``body`` once: (status, reason, Retry-After, reply text), reading at most ``max_bytes``."""
        limit = self._max_reply_bytes if max_bytes is None else max_bytes
        setting = "max_reply_bytes" if max_bytes is None else "max_snapshot_bytes"
        async with ep.session.stream("POST", ep.url, content=body, headers=_HEADERS) as reply:
            declared = reply.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                self.oversized_replies += 1
                raise BadResponse(f"{ep.label}: reply of {int(declared)} bytes exceeds cluster.{setting} ({limit})")
            chunks: list[bytes] = []
            size = 0
            async for chunk in reply.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    self.oversized_replies += 1
                    raise BadResponse(f"{ep.label}: reply exceeds cluster.{setting} ({limit})")
                chunks.append(chunk)
            text = b"".join(chunks).decode(reply.encoding or "utf-8", "replace")
            return reply.status_code, reply.reason_phrase, reply.headers.get("retry-after"), text

    def _config(self, **extra: Any) -> dict[str, Any]:
        return {"commitment": self.commitment, **extra}

    def _account_config(self, filters: Sequence[AccountFilter] = (), **extra: Any) -> dict[str, Any]:
        config = self._config(encoding="base64", **extra)
        if filters:
            config["filters"] = _filters_json(filters)
        return config

    def _check_count(self, method: str, got: int, asked: int, noun: str) -> None:
        if got != asked:
            raise BadResponse(f"{self._endpoints[0].label} {method}: {got} {noun} for {asked} asked")

    # -- reads --------------------------------------------------------------------------------------
    def _believe(self, method: str, slot: int) -> int:
        """Return ``slot`` of an HTTP reply after the plausibility check (``SlotBound``); BadResponse when it
        is far ahead of the chain."""
        if not self.slots.anchor_at(slot):
            self.implausible_slots += 1
            raise BadResponse(f"{self._endpoints[0].label} {method}: slot {slot} is implausible (more than "
                              f"cluster.max_slot_lead ahead of slot {self.slots.anchor})")
        return slot

    async def get_slot(self) -> int:
        """Return the current slot at the chain's commitment."""
        return self._believe("getSlot", (await self._call("getSlot", [self._config()], GetSlotResp)).value)

    async def get_block_height(self) -> int:
        """Return the current block height at the chain's commitment."""
        return (await self._call("getBlockHeight", [self._config()], GetBlockHeightResp)).value

    async def get_account(self, pubkey: Pubkey) -> AccountData | None:
        """Return one account, or None when it does not exist."""
        resp = await self._call("getAccountInfo", [str(pubkey), self._account_config()], GetAccountInfoResp)
        slot = self._believe("getAccountInfo", resp.context.slot)
        return None if resp.value is None else account_data(pubkey, resp.value, slot)

    async def get_accounts(self, pubkeys: Sequence[Pubkey]) -> list[AccountData | None]:
        """Return many accounts in order (None for missing ones), in concurrent batches of 100."""
        batches = await _all([self._get_batch(chunk) for chunk in _chunks(pubkeys, MAX_MULTIPLE_ACCOUNTS)])
        return [acc for batch in batches for acc in batch]

    async def _get_batch(self, pubkeys: Sequence[Pubkey]) -> list[AccountData | None]:
        params = [[str(k) for k in pubkeys], self._account_config()]
        resp = await self._call("getMultipleAccounts", params, GetMultipleAccountsResp)
        self._check_count("getMultipleAccounts", len(resp.value), len(pubkeys), "accounts")
        slot = self._believe("getMultipleAccounts", resp.context.slot)
        return [None if acc is None else account_data(k, acc, slot) for k, acc in zip(pubkeys, resp.value)]

    async def get_program_accounts(self, program_id: Pubkey,
                                   filters: Sequence[AccountFilter] = ()) -> list[AccountData]:
        """Return every account owned by ``program_id`` that passes ``filters``.

        One malformed entry does not fail the whole reply: it is skipped and counted (``skipped_accounts``,
        logged once per reply); the envelope (JSON-RPC, context, a list of entries) must be right.
        """
        params = [str(program_id), self._account_config(filters, withContext=True)]
        where = f"{self._endpoints[0].label} getProgramAccounts"
        text = await self._post(self._endpoints[0], "getProgramAccounts", params, self._max_snapshot_bytes)
        if _has_error_member(text):
            raise _failure(where, text, "error reply")
        try:
            result = json.loads(text)["result"]
            slot, entries = result["context"]["slot"], result["value"]
        except (ValueError, RecursionError, TypeError, KeyError):
            raise _failure(where, text, "expected {context: {slot}, value: [...]}") from None
        if type(slot) is not int or slot < 0 or not isinstance(entries, list):
            raise _failure(where, text, "expected a whole context slot and a list of accounts")
        slot = self._believe("getProgramAccounts", slot)
        out: list[AccountData] = []
        bad = 0
        for entry in entries:
            try:
                keyed = RpcKeyedAccount.from_json(json.dumps(entry))
            except BaseException as e:  # noqa: BLE001 - SerdeJSONError, or pyo3's PanicException
                if isinstance(e, (KeyboardInterrupt, SystemExit)):
                    raise
                bad += 1
                continue
            out.append(account_data(keyed.pubkey, keyed.account, slot))
        if bad:
            self.skipped_accounts += bad
            log.warning("%s: skipped %d malformed accounts of %d", where, bad, len(entries))
        return out

    async def get_balance(self, pubkey: Pubkey) -> int:
        """Return the lamports held by ``pubkey`` (0 when the account does not exist)."""
        return (await self._call("getBalance", [str(pubkey), self._config()], GetBalanceResp)).value

    async def get_latest_blockhash(self) -> Blockhash:
        """Return a recent blockhash and its last valid block height."""
        value = (await self._call("getLatestBlockhash", [self._config()], GetLatestBlockhashResp)).value
        return Blockhash(value.blockhash, value.last_valid_block_height)

    async def get_recent_prioritization_fees(self, writable: Sequence[Pubkey] = ()) -> list[int]:
        """Return recent per-slot minimum priority fees (micro-lamports per CU), oldest slot first."""
        params: list[Any] = [[str(k) for k in writable]] if writable else []
        return (await self._call("getRecentPrioritizationFees", params, _PrioritizationFeesResp)).value

    # -- transactions -------------------------------------------------------------------------------
    async def simulate(self, tx: VersionedTransaction) -> Simulation:
        """Simulate ``tx`` without verifying signatures, with the blockhash replaced by the newest."""
        config = self._config(encoding="base64", sigVerify=False, replaceRecentBlockhash=True)
        value = (await self._call("simulateTransaction", [_wire(tx), config], SimulateTransactionResp)).value
        return Simulation(value.err, list(value.logs or []), value.units_consumed or 0)

    async def send(self, tx: VersionedTransaction) -> Signature:
        """Send ``tx`` (no preflight, no node retries) to every endpoint at once; return its signature.

        Returns as soon as one endpoint accepted it (the others finish in the background); raises
        ``ChainError`` only when every endpoint failed. A cancelled caller cancels the sends still retrying.
        """
        if not tx.signatures:
            raise ValueError("transaction has no signature")
        config = {"encoding": "base64", "skipPreflight": True, "maxRetries": 0, "preflightCommitment": self.commitment}
        params = [_wire(tx), config]
        tasks = [asyncio.ensure_future(self._call("sendTransaction", params, SendTransactionResp, ep))
                 for ep in self._endpoints]
        errors: list[ChainError] = []
        try:
            for next_done in asyncio.as_completed(tasks):
                try:
                    await next_done
                    return tx.signatures[0]
                except ChainError as e:
                    errors.append(e)
        except asyncio.CancelledError:
            # The caller gave the transaction up (e.g. a bot's in-flight action at shutdown): the sends still
            # retrying a 5xx or a 429 must not go on, or they land after what the caller sends next (the
            # market maker's cancel-all at shutdown, overtaken by the requote it meant to retire).
            for t in tasks:
                t.cancel()
            raise
        finally:
            for t in tasks:
                if not t.done():
                    self._background.adopt(t)
        if len(errors) == 1:
            raise errors[0]
        raise ChainError(f"sendTransaction failed on every endpoint: {'; '.join(map(str, errors))}") from errors[0]

    async def get_signature_statuses(self, signatures: Sequence[Signature],
                                     search_history: bool = False) -> list[SignatureStatus | None]:
        """Return the statuses of ``signatures`` in order (None: not seen); the recent status cache only
        unless ``search_history``."""
        batches = await _all([self._statuses(chunk, search_history)
                              for chunk in _chunks(signatures, MAX_SIGNATURE_STATUSES)])
        return [s for batch in batches for s in batch]

    async def _statuses(self, signatures: Sequence[Signature], search_history: bool) -> list[SignatureStatus | None]:
        params = [[str(s) for s in signatures], {"searchTransactionHistory": search_history}]
        resp = await self._call("getSignatureStatuses", params, GetSignatureStatusesResp)
        self._check_count("getSignatureStatuses", len(resp.value), len(signatures), "statuses")
        return [None if s is None else SignatureStatus(s.slot, s.err, _commitment_of(s)) for s in resp.value]

    # -- subscriptions --------------------------------------------------------------------------------
    def on_account(self, pubkey: Pubkey, callback: AccountCallback) -> WsSubscription:
        """Call ``callback`` with each new state of ``pubkey`` (and a fresh read after each (re)subscribe)."""
        return self._ws.add("accountSubscribe", [str(pubkey), self._account_config()], callback, pubkey)

    def on_program(self, program_id: Pubkey, callback: AccountCallback,
                   filters: Sequence[AccountFilter] = ()) -> WsSubscription:
        """Call ``callback`` with each changed account of ``program_id`` passing ``filters`` (and a fresh
        snapshot after each (re)subscribe)."""
        params = [str(program_id), self._account_config(filters)]
        return self._ws.add("programSubscribe", params, callback, program_id, filters)

    def on_slot(self, callback: SlotCallback) -> WsSubscription:
        """Call ``callback`` with each new (processed) slot, in increasing order."""
        return self._ws.add("slotSubscribe", [], callback)

    def on_signature(self, signature: Signature, callback: SignatureCallback) -> WsSubscription:
        """Call ``callback(signature, status)`` once, when ``signature`` reaches the chain's commitment."""
        return self._ws.add("signatureSubscribe", [str(signature), self._config()], callback, signature)

    async def close(self) -> None:
        """Stop subscriptions and background sends, close the HTTP clients (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._ws.close()
        await self._background.cancel()
        for ep in self._endpoints:
            await ep.client.close()


__all__ = ["JsonRpcError", "RpcChain", "derive_ws_url", "endpoint_label"]
