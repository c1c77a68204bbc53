"""archives: one row per archived endpoint-day (the files live in MINAPI_ARCHIVE_URL)

Revision ID: 0006
Revises: 0005


"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('archives_files',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('jsonl_bytes', sa.BigInteger(), nullable=False),
    sa.Column('csv_bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_archives_files_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archives_files')),
    sa.UniqueConstraint('endpoint_id', 'day', name='uq_archives_files_endpoint_id')
    )
    with op.batch_alter_table('archives_files', schema=None) as batch_op:
        batch_op.create_index('ix_archives_files_account_day', ['account_id', 'day'], unique=False)



def downgrade():
    with op.batch_alter_table('archives_files', schema=None) as batch_op:
        batch_op.drop_index('ix_archives_files_account_day')

    op.drop_table('archives_files')
