"""`perpkeep localnet venue`: the venue emulator in the foreground until Ctrl-C.

Prints the endpoints and the ccxt configuration (keys included: they are made up for this run) that
points ``ccxt.binanceusdm`` at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from decimal import Decimal

from localnet.venue.binance_usdm import VenueFaults
from localnet.venue.server import VenueServer


async def serve(port: int, seed: int, prices: dict[str, float], latency_ms: int, weight_per_s: int) -> None:
    """Run the emulator on 127.0.0.1:``port`` until SIGINT or SIGTERM."""
    faults = VenueFaults(latency_s=latency_ms / 1000, weight_per_s=weight_per_s)
    server = VenueServer.default(seed=seed, prices=prices, faults=faults, balance=Decimal("100000"))
    server.port = port
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    config = server.ccxt_config()
    print(f"venue emulator (Binance USD-M subset) on {server.url}  websocket {server.ws_url}", flush=True)
    print(f"symbols: {', '.join(server.venue.instruments)}", flush=True)
    print("ccxt: ccxt.pro.binanceusdm(config) with config =", flush=True)
    print(json.dumps({"apiKey": config["apiKey"], "secret": config["secret"], "urls": {"api": {
        k: v for k, v in config["urls"]["api"].items() if k.startswith("fapi")} | {"ws": {"linear": server.ws_url}}},
        "options": config["options"]}, indent=2), flush=True)
    print("Ctrl-C stops", flush=True)
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await server.stop()
    print(f"stopped after {server.api.requests} requests", flush=True)


__all__ = ["serve"]
