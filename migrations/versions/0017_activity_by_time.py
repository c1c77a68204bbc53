"""activity by time: the trail is ordered by when each call was made

A read's row, and a refused call's, are written a moment after the call (together, by the
process's trail thread), so the rows' sequence numbers no longer follow the order of the
calls. The trail is read newest first by the call's time, then by row: the account's index
becomes (account_id, created_at, seq).

Revision ID: 0017
Revises: 0016
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_activity_account_seq', table_name='activity')
    op.create_index('ix_activity_account_time', 'activity', ['account_id', 'created_at', 'seq'], unique=False)


def downgrade():
    op.drop_index('ix_activity_account_time', table_name='activity')
    op.create_index('ix_activity_account_seq', 'activity', ['account_id', 'seq'], unique=False)
