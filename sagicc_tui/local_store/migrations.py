"""Schema creation and the upgrade path between store versions (alembic).

The version lives in the `meta` table (`schema_version`, an integer: the
lean first-page reader, first_page.py, reads it there); alembic's own
`alembic_version` row names the same step as a revision ("0015" is schema
15). Opening a store runs every revision from its version up to
schema.SCHEMA_VERSION inside the store's one write transaction, so an
upgrade either completes or leaves the file as it was. A store from a newer
program is refused with a sentence, never half-read.

A new store is created from today's models (schema.py) and stamped at the
head revision; tests/test_revisions.py proves that it has the same tables,
columns, indexes and triggers as a store upgraded revision by revision from
the first release and from every version since, on SQLite and PostgreSQL
(one known difference, named there: the first release's UNIQUE(client_key)).

The revisions (revisions/versions/0001_*.py ...) are frozen: each spells
out the DDL of its version, never today's models or today's SQL constants,
so changing a model cannot change what an old store is upgraded through.
They run programmatically (revisions/env.py, no alembic.ini) with
render_as_batch, so a SQLite column change gets alembic's copy-and-rename.
FTS5 tables and triggers, and PostgreSQL's GIN indexes, functions and
triggers, are op.execute statements.

Adding a step (the next one is 19):
  1. Change the model in schema.py (or the SQL of textsearch.py,
     ticket_words.py, sla_due.py) so that a NEW store gets it.
  2. Write revisions/versions/0019_<what>.py by hand, copying the shape of
     0018: revision = "0019", down_revision = "0018", an upgrade() that
     spells the DDL out (guards.add_column / guards.create_table /
     guards.create_index, which skip what a partly upgraded store already
     has; op.batch_alter_table for other column changes; op.execute for
     FTS5, triggers and SQL functions).
     Data changes go in the same upgrade(). No downgrade: a store is never
     downgraded (keep a backup).
     A SQLite table rebuild (a batch change ALTER TABLE cannot do) copies,
     drops and renames the table: it runs with the foreign keys off and
     checked before the commit (engine.schema_tx, _check_foreign_keys), so
     the rows pointing at it stay; but the table's own triggers go with
     the old copy -- the revision must create them again (FTS5 and
     ticket_words on interaction, ticket and customer; sla_due on ticket),
     and the comparison in step 4 fails until it does.
  3. schema.SCHEMA_VERSION = 19, first_page.SCHEMA_VERSION = 19 (after
     checking its statements still read the tables), a line in the history
     below.
  4. Run tests/test_revisions.py and tests/test_migrations.py: a fresh store
     and upgraded ones must still have the same schema, from every older
     version (its range of versions grows with SCHEMA_VERSION by itself).

History:
  1  the first tables (tickets, customers, interactions, tasks, logs, drafts).
  2  full-text search for the list's search box (L6): FTS5 indexes over ticket
     descriptions, customer names and documents, and message text, kept up to
     date by triggers (SQLite only; PostgreSQL's search index is version 5).
  3  the ticket screen and customers: who has a ticket open (presence), the
     external view's token, outgoing delivery bookkeeping, per-campaign
     customer assignment, saved list views (L11); indexes for the customer
     list and the conversation.
  4  the server's API tokens and idempotency keys.
  5  PostgreSQL's search index (textsearch.py): GIN indexes over the folded
     words of customer names and documents, ticket descriptions and message
     text -- what the FTS5 tables of version 2 are on SQLite. Nothing changes
     in a SQLite store.
  6  the OS account of a user on a shared host (app_user.os_user, unique):
     `sagicc serve --socket` takes its clients' identity from it.
  7  the ticket-level message index (ticket_words.py): one search row per
     ticket holding its messages' words, kept by triggers on interaction, so
     a common word resolves to tickets without a lookup per message; the
     pending tickets' index (ix_ticket_pending).
  8  administration (P4): a user's language (app_user.language). A campaign's
     `active` and `version` live in its JSON config, which needs no step.
  9  exactly once (issue #10): versions on contacts, accounts and relations;
     the external view's expiry and revocation; who holds an Idempotency-Key
     while its first request runs.
  10 when a ticket was given to its assignee (`ticket.assigned_at`), so the
     pending list (L7) can say every new assignment, not only the first page's;
     the index of the list's order by priority (+L5).
  11 message identity (each incoming message once, #10.4) and e-mail
     threading headers (#13).
  12 the customer list's Spanish name order (#15.8, C1): customer.sort_name,
     filled from the names, and its index (sort_name, id) in place of
     ix_customer_name (lower-case names, which put Álvaro after Zoë).
  13 a user's version (app_user.version, #18): an administrator's save names
     the version it was read at, so two administrators never overwrite each
     other's change to the same user unseen.
  14 the SLA deadline of each ticket (`ticket.sla_due_at`), kept by triggers,
     and its index: the list's order by SLA due time (+L5, #12.5).
  15 the ticket-level word index's PostgreSQL trigger adds a new message's
     words to its ticket's row instead of rebuilding it from every message
     (#16: each message of a 5,000-message conversation re-read all 5,000).
  16 ticket counters (ticket_counts.py, #16): how many tickets per campaign,
     assignee, origin channel, status, priority and type, kept by triggers,
     so the list's counts sum a few rows instead of walking the tickets;
     filled from the tickets already in the store; the auth_generation
     counter (auth_generation.py), bumped by triggers on every token
     revocation and user or membership change, so the server can keep
     token lookups per process and still refuse a revoked token at once.
  17 the list's orders by unread, next task and SLA deadline get an index
     per (campaign, status) too (schema.STATUS_ORDERS, #16): a one-status
     filter in those orders reads one index range instead of walking the
     campaign's tickets.
  18 PostgreSQL's ticket-level word index holds each ticket's campaign as a
     lexeme (ticket_words.py, #16), so a search within campaigns looks a word
     up in them alone. Nothing changes in a SQLite store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.schema import AddConstraint, CreateIndex, DropIndex

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.local_store import auth_generation, schema, textsearch, ticket_counts, ticket_words
from sagicc_tui.local_store.engine import schema_tx, write_tx

_FTS = {
    "ticket_fts": ("ticket", ("description",)),
    "customer_fts": ("customer", ("first_name", "middle_name", "last_name", "second_last_name", "id_number")),
    "interaction_fts": ("interaction", ("subject", "content")),
}


def _fts_ddl(name: str, table: str, cols: tuple[str, ...]) -> list[str]:
    col_list = ", ".join(cols)
    new_vals = ", ".join(f"new.{c}" for c in cols)
    old_vals = ", ".join(f"old.{c}" for c in cols)
    delete = f"INSERT INTO {name}({name}, rowid, {col_list}) VALUES('delete', old.id, {old_vals});"
    insert = f"INSERT INTO {name}(rowid, {col_list}) VALUES (new.id, {new_vals});"
    return [
        # remove_diacritics: "Gomez" finds "Gómez"; customers type either.
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5({col_list}, content='{table}', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_au AFTER UPDATE OF {col_list} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def create_fts(conn: Connection, *, rebuild: bool) -> None:
    if conn.dialect.name != "sqlite":
        return
    for name, (table, cols) in _FTS.items():
        for stmt in _fts_ddl(name, table, cols):
            conn.exec_driver_sql(stmt)
        if rebuild:
            conn.exec_driver_sql(f"INSERT INTO {name}({name}) VALUES('rebuild')")


def create_search(conn: Connection, *, rebuild: bool) -> None:
    """The search box's index: FTS5 tables on SQLite, GIN indexes on PostgreSQL."""
    create_fts(conn, rebuild=rebuild)
    textsearch.create_indexes(conn)
    ticket_words.create(conn, rebuild=rebuild)


#: The frozen revision scripts, shipped in the package.
REVISIONS = Path(__file__).with_name("revisions")
#: The revision a store at schema.SCHEMA_VERSION is at.
HEAD = f"{schema.SCHEMA_VERSION:04d}"  # revision_of(SCHEMA_VERSION)
_ALEMBIC_TABLE = "alembic_version"
#: PostgreSQL: the advisory lock that makes creating or upgrading a store one
#: process at a time -- this key ("scm#" in ASCII) and the store's schema, so
#: stores in other schemas of the database never wait for each other. (The
#: two-key form: ticket_numbers.py's one-key lock is another key space.)
#: SQLite needs none: the write transaction's BEGIN IMMEDIATE already is one.
_SCHEMA_LOCK_KEY = 0x73636D23


def revision_of(version: int) -> str:
    return f"{version:04d}"


def _alembic_config(conn: Connection, script_location: Path) -> Any:
    # Imported here: opening a store that is already current never loads alembic.
    from alembic.config import Config

    cfg = Config()  # no alembic.ini: the scripts' place and the connection are all it needs
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["connection"] = conn
    cfg.attributes["on_version_apply"] = _mirror_version
    return cfg


def _mirror_version(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
    """After each revision (or stamp), meta's integer follows alembic's row:
    first_page.py and older programs read the version there."""
    (head,) = heads
    _set_version(ctx.connection, int(head))


def run_revisions(conn: Connection, target: str = "head", *, script_location: Path | None = None) -> None:
    """Upgrade the store on `conn` to revision `target`, inside conn's transaction.

    The store's version is meta's integer: alembic's row is set to it first
    (a store from before alembic has none; a test may have set meta back),
    then every revision after it runs. An empty database gets every revision
    from 0001 (tests build a store of version k this way)."""
    from alembic import command

    cfg = _alembic_config(conn, script_location or REVISIONS)
    version = read_version(conn)
    if version is not None:
        command.stamp(cfg, revision_of(version), purge=True)
    command.upgrade(cfg, target)


def _stamp_head(conn: Connection) -> None:
    from alembic import command

    command.stamp(_alembic_config(conn, REVISIONS), HEAD, purge=True)


def read_version(conn: Connection) -> int | None:
    has_meta = conn.dialect.has_table(conn, "meta")
    if not has_meta:
        return None
    row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
    return int(row[0]) if row else None


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(text("DELETE FROM meta WHERE key = 'schema_version'"))
    conn.execute(text("INSERT INTO meta(key, value) VALUES ('schema_version', :v)"), {"v": str(version)})


def _indexes():
    for tb in schema.ALL_TABLES.sorted_tables:
        yield from tb.indexes


def _create_indexes(conn: Connection) -> None:
    # IF NOT EXISTS, not checkfirst: the inspector cannot see expression indexes.
    # Only on the tables and columns there (the bulk load's tables all are).
    found = inspect(conn)
    present = set(found.get_table_names())
    columns: dict[str, set[str]] = {}
    for ix in _indexes():
        table = ix.table.name
        if table not in present:
            continue
        if table not in columns:
            columns[table] = {c["name"] for c in found.get_columns(table)}
        if all(c.name in columns[table] for c in ix.columns):
            conn.execute(CreateIndex(ix, if_not_exists=True))


def _drop_foreign_keys(conn: Connection) -> None:
    """PostgreSQL bulk load: the store's foreign keys go until the load is
    complete -- checked row by row they double the time of a COPY, while
    adding them back checks every row at once."""
    if conn.dialect.name != "postgresql":
        return  # SQLite cannot drop a constraint; its checks are cheap anyway
    found = inspect(conn)
    for tb in schema.ALL_TABLES.sorted_tables:
        for fk in found.get_foreign_keys(tb.name):
            conn.exec_driver_sql(f'ALTER TABLE {tb.name} DROP CONSTRAINT "{fk["name"]}"')


def _add_foreign_keys(conn: Connection) -> None:
    """Every foreign key of the schema that the tables lack (after a bulk load)."""
    if conn.dialect.name != "postgresql":
        return
    found = inspect(conn)
    for tb in schema.ALL_TABLES.sorted_tables:
        have = {tuple(fk["constrained_columns"]) for fk in found.get_foreign_keys(tb.name)}
        for fk in tb.foreign_key_constraints:
            if tuple(c.name for c in fk.columns) not in have:
                # isolate_from_table=False: by default AddConstraint marks the model's
                # constraint "added separately", and every later CREATE TABLE in this
                # process (a new SQLite store, say) would leave the foreign key out.
                conn.execute(AddConstraint(fk, isolate_from_table=False))


def _bulk_load_pending(conn: Connection) -> bool:
    return conn.execute(text("SELECT 1 FROM meta WHERE key = 'bulk_load'")).first() is not None


def ensure_schema(engine: Engine, *, indexes: bool = True) -> int:
    """Create a new store or upgrade an old one; returns the version now in the file.

    `indexes=False` is for the demo generator's bulk load: the tables come
    without indexes (and on PostgreSQL without foreign keys) and a
    `bulk_load` mark is left in meta until `finish_bulk_load` builds the
    indexes and the search index and adds the foreign keys. A store whose
    bulk load was interrupted is completed the next time it is opened, so it
    never runs without its indexes or search triggers.
    """
    with schema_tx(engine) as conn:
        if conn.dialect.name == "postgresql":
            # Two servers started together on an old store: the second waits,
            # then finds it current, instead of repeating the first's DDL.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"), {"k": _SCHEMA_LOCK_KEY})
        version = read_version(conn)
        if version is None:
            tables = list(schema.ALL_TABLES.sorted_tables)
            schema.ALL_TABLES.create_all(conn, tables=tables, checkfirst=True)
            from sagicc_tui.local_store import sla_due

            sla_due.create_triggers(conn)  # with or without indexes: the deadline is kept from the first row
            auth_generation.create(conn)
            if not indexes:
                for ix in _indexes():
                    conn.execute(DropIndex(ix, if_exists=True))
                _drop_foreign_keys(conn)
                conn.execute(text("INSERT INTO meta(key, value) VALUES ('bulk_load', 'pending')"))
            else:
                create_search(conn, rebuild=False)
                # Bulk loads get them afterwards (_complete_bulk_load): a
                # counter row updated per loaded ticket would slow the load.
                ticket_counts.create(conn, rebuild=False)
            _set_version(conn, schema.SCHEMA_VERSION)
            _stamp_head(conn)
            return schema.SCHEMA_VERSION
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                N_("This store was written by a newer sagicc (schema {found}; this program reads up "
                   "to {known}); upgrade sagicc-tui to open it."),
                found=version, known=schema.SCHEMA_VERSION,
            )
        if version < schema.SCHEMA_VERSION:
            run_revisions(conn)
            _check_foreign_keys(conn)
            version = read_version(conn)
        elif not conn.dialect.has_table(conn, _ALEMBIC_TABLE):
            _stamp_head(conn)  # a current store from before alembic: its row, once
        if indexes and _bulk_load_pending(conn):
            _complete_bulk_load(conn)
        return version


def _check_foreign_keys(conn: Connection) -> None:
    """SQLite upgrades run with the foreign keys off (engine.schema_tx): every
    row must still point at a row before the commit."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL checks each statement
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, _rowid, parent, _fk = broken[0]
        raise StoreError(
            N_("The upgrade of this store was undone: rows of {table} ({count}) would point at missing rows "
               "of {parent}. The store is as it was; report this to the people who maintain sagicc."),
            count=len(broken), table=table, parent=parent,
        )


def _complete_bulk_load(conn: Connection) -> None:
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:  # GIN and btree builds sort in memory up to this (this transaction only)
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
    _create_indexes(conn)
    create_search(conn, rebuild=True)
    ticket_counts.create(conn, rebuild=True)
    _add_foreign_keys(conn)
    conn.execute(text("DELETE FROM meta WHERE key = 'bulk_load'"))
    # The planner's statistics for the new indexes (on PostgreSQL, ANALYZE
    # alone would visit every table of the database).
    # ticket_words too: its word statistics tell a common word from a rare one
    # (ticket_query._pg_common).
    tables = ", ".join([*(tb.name for tb in schema.ALL_TABLES.sorted_tables), "ticket_words"]) if postgresql else ""
    conn.exec_driver_sql(f"ANALYZE {tables}".strip())


def finish_bulk_load(engine: Engine) -> None:
    """After a bulk load with indexes=False: build every index and the search
    index, add the foreign keys back (PostgreSQL)."""
    with write_tx(engine) as conn:
        _complete_bulk_load(conn)
