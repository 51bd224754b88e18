"""The operator console: an authenticated control API and a live dashboard served by the running keeper.

``auth`` holds the hashed API tokens, roles and the per-token rate limit; ``audit`` the append-only log of
mutating calls; ``risk`` the portfolio and risk figures computed from the keeper's cache; ``pretrade`` the
checks a manual order passes before it reaches the pipeline; ``service`` the operations on a ``Keeper``;
``app`` the FastAPI application; ``server`` runs it with uvicorn inside the keeper's event loop; ``static/``
is the dashboard (no CDN: everything it loads is served from here).
"""
