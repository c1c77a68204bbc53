"""mcp keys

Revision ID: 0002
Revises: 0001


"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mcp_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('scopes', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=20), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_mcp_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mcp_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_mcp_keys_key_hash'))
    )
    with op.batch_alter_table('mcp_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mcp_keys_account_id'), ['account_id'], unique=False)



def downgrade():
    with op.batch_alter_table('mcp_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mcp_keys_account_id'))

    op.drop_table('mcp_keys')
