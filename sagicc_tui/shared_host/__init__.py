"""A shared host: agents work on one machine whose store they cannot touch.

Two ways in, one rule. Over SSH (ssh_keys.py, ssh_session.py) a service
account owns the store and runs the TUI for everyone; the key an agent signs
in with names their sagicc user. With OS accounts (socket_client.py and
server/peercred.py) `sagicc serve --socket` owns the store and the kernel
names each client's OS account.

The rule (identity.py): on a shared host the identity comes from the host
and from nothing else -- not --user, not SAGICC_USER, not the remembered
user, and no user picker.

Standard library only at module level: the CLI imports these modules to
build its parser.
"""
