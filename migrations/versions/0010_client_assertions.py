"""client assertions (RFC 7523 private_key_jwt): a CIMD client's jwks_uri and the used jtis

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('oauth_clients') as batch:
        batch.add_column(sa.Column('jwks_uri', sa.String(length=512), nullable=True))
    op.create_table('oauth_used_assertions',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_oauth_used_assertions'))
    )
    op.create_index(op.f('ix_oauth_used_assertions_expires_at'), 'oauth_used_assertions', ['expires_at'])


def downgrade():
    op.drop_index(op.f('ix_oauth_used_assertions_expires_at'), table_name='oauth_used_assertions')
    op.drop_table('oauth_used_assertions')
    with op.batch_alter_table('oauth_clients') as batch:
        batch.drop_column('jwks_uri')
