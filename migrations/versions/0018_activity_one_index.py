"""activity one index: every row written keeps one index up to date, not two

The index on `created_at` alone served only the hourly prune; the prune now deletes account
by account through the account's index `(account_id, created_at, seq)`, and each row an
action writes costs one index entry less (bench/activity.py).

Revision ID: 0018
Revises: 0017
"""
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_activity_created_at', table_name='activity')


def downgrade():
    op.create_index('ix_activity_created_at', 'activity', ['created_at'], unique=False)
