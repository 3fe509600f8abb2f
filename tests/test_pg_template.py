"""tests/support/pg.migrated_schema: the schema most PostgreSQL tests start from is the
one the real migrations build, catalog entry for catalog entry, so a test on the replayed
schema proves what it would prove on a freshly migrated one."""

from __future__ import annotations

import pytest

from sagicc_tui.local_store.engine import open_store_engine
from sagicc_tui.local_store.migrations import ensure_schema
from sagicc_tui.local_store.schema import SCHEMA_VERSION

CATALOG = {
    "columns": "select table_name, column_name, data_type, column_default, is_nullable, ordinal_position"
               " from information_schema.columns where table_schema = %(s)s",
    "indexes": "select tablename, indexname, indexdef from pg_indexes where schemaname = %(s)s",
    "triggers": "select event_object_table, trigger_name, action_timing, event_manipulation, action_statement"
                " from information_schema.triggers where trigger_schema = %(s)s",
    "functions": "select p.proname, p.prokind, pg_get_function_arguments(p.oid),"
                 " case when p.prokind = 'f' then pg_get_functiondef(p.oid) end"
                 " from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = %(s)s",
    "relations": "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                 " where n.nspname = %(s)s",
    "constraints": "select conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) from pg_constraint"
                   " where connamespace = (select oid from pg_namespace where nspname = %(s)s)",
    "sequences": "select sequencename, start_value, last_value from pg_sequences where schemaname = %(s)s",
}


def _catalog(name: str) -> dict[str, list]:
    import psycopg

    from tests.support.pg import _dsn

    with psycopg.connect(_dsn()) as conn:
        out = {kind: sorted(tuple(str(v).replace(name, "S") for v in row)
                            for row in conn.execute(query, {"s": name}))
               for kind, query in CATALOG.items()}
        out["meta"] = sorted(conn.execute(f'select key, value from "{name}".meta'))
        tables = [t for (t,) in conn.execute(
            "select tablename from pg_tables where schemaname = %(s)s order by 1", {"s": name})]
        out["rows"] = [(t, sorted(map(str, conn.execute(f'select * from "{name}"."{t}"')))) for t in tables]
    return out


def _migrate(url: str) -> int:
    engine = open_store_engine(url)
    try:
        return ensure_schema(engine)
    finally:
        engine.dispose()


@pytest.fixture
def schemas(request):
    from tests.support.pg import drop_schema, migrated_schema, new_schema, pg_available

    reason = pg_available()
    if reason:
        pytest.fail(f"PostgreSQL is required for these tests and is not reachable: {reason}")
    made = []
    for make in (new_schema, migrated_schema):
        name, url = make()
        request.addfinalizer(lambda n=name: drop_schema(n))
        made.append((name, url))
    return made


def test_the_replayed_schema_is_the_migrated_one(schemas):
    (fresh, fresh_url), (replayed, replayed_url) = schemas
    _migrate(fresh_url)
    expected, got = _catalog(fresh), _catalog(replayed)
    assert expected["relations"] and expected["triggers"] and expected["meta"]
    for kind in expected:
        assert got[kind] == expected[kind], kind
    assert _migrate(replayed_url) == SCHEMA_VERSION  # a store that opens as current: nothing to migrate
    assert _catalog(replayed) == expected


async def test_a_schema_given_back_is_reused_as_a_fresh_one(schemas, tmp_path, request):
    """release_schema: the next test gets the schema emptied and renamed, with the
    migrations' own rows again and its sequences restarted, the same catalog and rows
    as a freshly migrated schema; a schema whose tables a test changed is dropped."""
    import psycopg

    from tests.factory import make_world
    from tests.support import pg

    (fresh, fresh_url), (used, used_url) = schemas
    _migrate(fresh_url)
    world = await make_world(used_url, blob_dir=tmp_path / "files")  # tickets, users, tasks, words
    await world.incoming("otra@x.com", "factura pendiente")
    await world.aclose()
    assert _catalog(used)["rows"] != _catalog(fresh)["rows"]

    pg._SPARE.clear()
    pg.release_schema(used)
    assert len(pg._SPARE) == 1
    name, url = pg.migrated_schema()
    request.addfinalizer(lambda: pg.drop_schema(name))
    assert not pg._SPARE and name != used
    assert _catalog(name) == _catalog(fresh)
    with psycopg.connect(pg._dsn()) as conn:  # the old name is gone: a stale connection finds no tables
        assert conn.execute("select count(*) from pg_namespace where nspname = %s", (used,)).fetchone() == (0,)
        conn.execute(f'alter table "{name}".meta add column extra text')
        conn.commit()
    pg.release_schema(name)
    assert not pg._SPARE
