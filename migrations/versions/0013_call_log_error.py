"""call log error: a failed call's error message and details, kept with its log

A `validation_failed` call's log said only its error code; a model summarising failed calls
could not say which fields failed. `call_logs.error` holds `{"message", "details"}` of a
failed call (null for a success), written with the log in the call's one transaction.

Revision ID: 0013
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("call_logs", sa.Column("error", sa.JSON(), nullable=True))


def downgrade():
    # A plain ALTER on both engines (SQLite >= 3.35): a batch copy of the table would drop the
    # search-index triggers that 0009 put on it.
    op.execute("ALTER TABLE call_logs DROP COLUMN error")
