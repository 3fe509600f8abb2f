"""What every revision script does "only if not there yet".

A store may be partly upgraded: a test or an older program made a table or a
column before its step ran (the steps of issue #14 learnt it), so each step
creates what is missing and leaves what is there. These helpers know nothing
of sagicc's tables -- the revisions spell their DDL out -- so changing them
never changes what an old revision creates.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def dialect() -> str:
    return op.get_bind().dialect.name


def has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def create_table(name: str, *elements: sa.SchemaItem) -> None:
    if not has_table(name):
        op.create_table(name, *elements)


def add_column(table: str, column: sa.Column) -> None:
    """ADD COLUMN when missing. Batch mode: SQLite gets a plain ALTER TABLE
    when that suffices, the copy-and-rename recreate when a change needs it."""
    if not has_column(table, column.name):
        with op.batch_alter_table(table) as batch:
            batch.add_column(column)


def create_index(name: str, table: str, columns: list, **kw) -> None:
    # IF NOT EXISTS, not the inspector: it cannot see expression indexes.
    op.create_index(name, table, columns, if_not_exists=True, **kw)


def execute(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)
