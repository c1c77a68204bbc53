"""deferred search index: on SQLite, new and changed rows are noted and indexed in bulk

On SQLite, the FTS5 indexes of records and call logs were kept in step by triggers that
indexed each row as it was written, which cost more than the write itself. Now the triggers
note the row in `<table>_fts_pending` and `app.search.catch_up` indexes the noted rows in
bulk, before every search and regularly from the data plane's group commit. PostgreSQL is
unchanged (its GIN index has its own pending list).

Revision ID: 0009
Revises: 0008
"""
from alembic import op

from app.search import SEARCHABLE, deferred_ddl, undeferred_ddl

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHABLE:
        for statement in deferred_ddl(table):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHABLE:
        for statement in undeferred_ddl(table):
            op.execute(statement)
