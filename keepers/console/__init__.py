"""The operator console: an authenticated control API and a live dashboard served by the running keeper.

``auth`` holds the hashed API tokens, roles and the per-token rate limit; ``audit`` the append-only log of
mutating calls; ``risk`` the portfolio and risk figures computed from the keeper's cache; ``pretrade`` the
checks a manual order passes before it reaches the pipeline; ``service`` the operations on a ``Keeper``,
on its loop; ``server`` the keeper's side, which starts and feeds the worker process (``worker``) that
serves the FastAPI application (``app``) with uvicorn over ``remote``, the keeper as the worker sees it;
``protocol`` the messages between the two; ``static/`` is the dashboard (no CDN: everything it loads is
served from here).
"""
