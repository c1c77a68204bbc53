"""call logs outcome index: the newest failed calls without walking every call

`logs_search` with `status=failed` pages newest first. Without an index on the outcome, a
failed-calls search walks the calls from the newest until it has a page: a few hundred rows
when 5 % of calls fail, the whole table when few do. On PostgreSQL at a million calls a
failed-calls search with a word and a 7-day range took 67 ms (issue 15, bench/search.py)
walking the primary key back; with this index it is a bitmap AND of the word's GIN
entries and the failed calls. A full index (not one `WHERE outcome = 'failed'`) so
prepared statements with `outcome = $1` can use it too.

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_call_logs_outcome_seq', 'call_logs', ['outcome', 'seq'], unique=False)


def downgrade():
    op.drop_index('ix_call_logs_outcome_seq', table_name='call_logs')
