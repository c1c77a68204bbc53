"""activity trail and AI controls (freeze, per-credential policy)

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=32), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('surface', sa.String(length=10), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('error_code', sa.String(length=64), nullable=True),
    sa.Column('endpoint', sa.String(length=120), nullable=True),
    sa.Column('arguments', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_activity_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_account_seq', ['account_id', 'seq'], unique=False)
        batch_op.create_index('ix_activity_created_at', ['created_at'], unique=False)

    op.create_table('ai_controls',
    sa.Column('subject', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('policy', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ai_controls_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subject', name=op.f('pk_ai_controls'))
    )
    with op.batch_alter_table('ai_controls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_controls_account_id'), ['account_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ai_controls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_controls_account_id'))
    op.drop_table('ai_controls')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_created_at')
        batch_op.drop_index('ix_activity_account_seq')
    op.drop_table('activity')
