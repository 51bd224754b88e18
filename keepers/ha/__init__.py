"""An active/standby pair of keeper processes coordinated by a lease (``[ha]`` in the config).

``lease.py`` holds the protocol and the local deadline every store shares, ``file_lease.py`` the
single-host store (a lease file), ``postgres_lease.py`` the PostgreSQL store, ``coordinator.py`` the
loop that makes a ``Keeper`` standby or active as the lease comes and goes.
"""
