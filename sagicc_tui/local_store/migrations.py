"""Schema creation and the upgrade path between store versions.

The version lives in the `meta` table. Opening a store runs every step from
its version up to SCHEMA_VERSION inside one write transaction, so an upgrade
either completes or leaves the file as it was. A store from a newer program
is refused with a sentence, never half-read.

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
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.schema import AddConstraint, CreateIndex, DropIndex

from sagicc_tui.domain.errors import StoreError
from sagicc_tui.domain.messages import N_
from sagicc_tui.local_store import auth_generation, schema, textsearch, ticket_counts, ticket_words
from sagicc_tui.local_store.engine import write_tx

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


def _v1_to_v2(conn: Connection) -> None:
    create_fts(conn, rebuild=True)


def _v2_to_v3(conn: Connection) -> None:
    for row in (schema.CustomerAssignmentRow, schema.TicketPresenceRow, schema.ExternalViewRow,
                schema.OutgoingDeliveryRow, schema.SavedViewRow):
        row.__table__.create(conn, checkfirst=True)
    _create_indexes(conn)


def _v3_to_v4(conn: Connection) -> None:
    for row in (schema.ApiTokenRow, schema.IdempotencyRow):
        row.__table__.create(conn, checkfirst=True)


def _v4_to_v5(conn: Connection) -> None:
    textsearch.create_indexes(conn)  # PostgreSQL only


def _v5_to_v6(conn: Connection) -> None:
    if "os_user" not in {c["name"] for c in inspect(conn).get_columns("app_user")}:
        conn.exec_driver_sql("ALTER TABLE app_user ADD COLUMN os_user VARCHAR")
    _create_indexes(conn)  # its unique index


def _v6_to_v7(conn: Connection) -> None:
    # Self-contained and idempotent: CREATE ... IF NOT EXISTS, then fill
    # from the messages already in the store.
    ticket_words.create(conn, rebuild=True)
    _create_indexes(conn)  # ix_ticket_pending (L7), IF NOT EXISTS


def _v7_to_v8(conn: Connection) -> None:
    if "language" not in {c["name"] for c in inspect(conn).get_columns("app_user")}:
        conn.exec_driver_sql("ALTER TABLE app_user ADD COLUMN language VARCHAR")


def _v8_to_v9(conn: Connection) -> None:
    # Plain ADD COLUMN with a constant default: the same statement on SQLite
    # and PostgreSQL, no table rebuild, existing rows get the default.
    for table, column, ddl in (
        ("contact_info", "version", "INTEGER NOT NULL DEFAULT 1"),
        ("account", "version", "INTEGER NOT NULL DEFAULT 1"),
        ("customer_relation", "version", "INTEGER NOT NULL DEFAULT 1"),
        ("external_view", "expires_at", "BIGINT"),
        ("external_view", "revoked_at", "BIGINT"),
        ("idempotency_key", "claimed_by", "VARCHAR NOT NULL DEFAULT ''"),
    ):
        have = {c["name"] for c in inspect(conn).get_columns(table)}
        if column not in have:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
    # Links made before expiry existed live the default lifetime from their
    # creation (the constant, not the environment: a bad setting must not
    # stop a store from opening).
    from sagicc_tui.local_store.external_links import DEFAULT_DAYS

    conn.execute(text("UPDATE external_view SET expires_at = created_at + :s WHERE expires_at IS NULL"),
                 {"s": int(DEFAULT_DAYS * 86400)})


def _v10_to_v11(conn: Connection) -> None:
    for row in (schema.MessageIdentityRow, schema.MailHeaderRow):
        row.__table__.create(conn, checkfirst=True)


def _v9_to_v10(conn: Connection) -> None:
    # Earlier assignments have no time: they are not news to anyone.
    if "assigned_at" not in {c["name"] for c in inspect(conn).get_columns("ticket")}:
        conn.exec_driver_sql("ALTER TABLE ticket ADD COLUMN assigned_at BIGINT")
    _create_indexes(conn)  # the priority order's index (+L5)


def _v11_to_v12(conn: Connection) -> None:
    if "sort_name" not in {c["name"] for c in inspect(conn).get_columns("customer")}:
        collate = ' COLLATE "C"' if conn.dialect.name == "postgresql" else ""  # bytewise, like SQLite
        conn.exec_driver_sql(f"ALTER TABLE customer ADD COLUMN sort_name VARCHAR{collate} NOT NULL DEFAULT ''")
    from sagicc_tui.domain.customers import name_sort_key

    last = 0
    while True:  # in batches: a 300,000-customer store in bounded memory
        rows = conn.execute(text("SELECT id, first_name, middle_name, last_name, second_last_name FROM customer "
                                 "WHERE id > :last ORDER BY id LIMIT 5000"), {"last": last}).all()
        if not rows:
            break
        conn.execute(text("UPDATE customer SET sort_name = :k WHERE id = :id"),
                     [{"id": r.id, "k": name_sort_key(r.first_name, r.middle_name or "", r.last_name or "",
                                                      r.second_last_name or "")} for r in rows])
        last = rows[-1].id
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_customer_name")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_customer_sort_name ON customer (sort_name, id)")


def _v12_to_v13(conn: Connection) -> None:
    if "version" not in {c["name"] for c in inspect(conn).get_columns("app_user")}:
        conn.exec_driver_sql("ALTER TABLE app_user ADD COLUMN version INTEGER NOT NULL DEFAULT 1")


def _v13_to_v14(conn: Connection) -> None:
    """+L5 the SLA-due order: a stored deadline the database keeps (local_store/sla_due.py)."""
    from sagicc_tui.local_store import sla_due

    if "sla_due_at" not in {c["name"] for c in inspect(conn).get_columns("ticket")}:
        conn.exec_driver_sql("ALTER TABLE ticket ADD COLUMN sla_due_at BIGINT")
    sla_due.create_triggers(conn)
    sla_due.backfill(conn)
    conn.exec_driver_sql(sla_due.INDEX)


def _v14_to_v15(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        ticket_words.create(conn, rebuild=False)  # CREATE OR REPLACE: the new trigger function


def _v15_to_v16(conn: Connection) -> None:
    # Self-contained and idempotent: the table if missing, CREATE ... IF NOT
    # EXISTS / OR REPLACE triggers, then every counter counted afresh.
    ticket_counts.create(conn, rebuild=True)
    auth_generation.create(conn)


STEPS: dict[int, Callable[[Connection], None]] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6, 6: _v6_to_v7, 7: _v7_to_v8,
    8: _v8_to_v9, 9: _v9_to_v10, 10: _v10_to_v11, 11: _v11_to_v12, 12: _v12_to_v13, 13: _v13_to_v14, 14: _v14_to_v15,
    15: _v15_to_v16,
}


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
    # Only on the tables already there: an upgrade step runs before the later
    # steps have created their tables (which come with their indexes).
    # And only over columns already there: a later step adds its column, then its index.
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
                conn.execute(AddConstraint(fk))


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
    with write_tx(engine) as conn:
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
            return schema.SCHEMA_VERSION
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                N_("This store was written by a newer sagicc (schema {found}; this program reads up "
                   "to {known}); upgrade sagicc-tui to open it."),
                found=version, known=schema.SCHEMA_VERSION,
            )
        while version < schema.SCHEMA_VERSION:
            STEPS[version](conn)
            version += 1
            _set_version(conn, version)
        if indexes and _bulk_load_pending(conn):
            _complete_bulk_load(conn)
        return version


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
    tables = ", ".join(tb.name for tb in schema.ALL_TABLES.sorted_tables) if postgresql else ""
    conn.exec_driver_sql(f"ANALYZE {tables}".strip())


def finish_bulk_load(engine: Engine) -> None:
    """After a bulk load with indexes=False: build every index and the search
    index, add the foreign keys back (PostgreSQL)."""
    with write_tx(engine) as conn:
        _complete_bulk_load(conn)
