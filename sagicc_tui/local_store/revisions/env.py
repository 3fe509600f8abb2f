"""Alembic's environment for the store: the caller's connection, its transaction.

migrations.run_revisions passes the connection of the store's single write
transaction (config.attributes): alembic neither opens nor commits one, so an
upgrade either completes with that transaction or leaves the store as it was.
"""

from alembic import context

config = context.config
context.configure(
    connection=config.attributes["connection"],
    render_as_batch=True,  # SQLite column changes: copy-and-rename when ALTER cannot
    transaction_per_migration=False,
    on_version_apply=config.attributes["on_version_apply"],
)
with context.begin_transaction():  # a no-op inside the caller's transaction
    context.run_migrations()
