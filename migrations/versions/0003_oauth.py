"""oauth clients, grants, codes, tokens and device codes

Revision ID: 0003
Revises: 0002

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_codes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('device_code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_code', sa.String(length=16), nullable=False),
    sa.Column('flow', sa.String(length=10), nullable=False),
    sa.Column('client_id', sa.String(length=512), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=True),
    sa.Column('session_token_hash', sa.String(length=64), nullable=True),
    sa.Column('session_expires_at', sa.DateTime(), nullable=True),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('last_polled_at', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_codes')),
    sa.UniqueConstraint('device_code_hash', name=op.f('uq_device_codes_device_code_hash')),
    sa.UniqueConstraint('session_token_hash', name=op.f('uq_device_codes_session_token_hash')),
    sa.UniqueConstraint('user_code', name=op.f('uq_device_codes_user_code'))
    )
    op.create_table('oauth_clients',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=512), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('client_secret_hash', sa.String(length=64), nullable=True),
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('client_uri', sa.String(length=512), nullable=True),
    sa.Column('redirect_uris', sa.Text(), nullable=False),
    sa.Column('grant_types', sa.String(length=300), nullable=False),
    sa.Column('token_endpoint_auth_method', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('registered_from', sa.String(length=64), nullable=True),
    sa.Column('first_token_at', sa.DateTime(), nullable=True),
    sa.Column('metadata_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_clients')),
    sa.UniqueConstraint('client_id', name=op.f('uq_oauth_clients_client_id'))
    )
    op.create_table('oauth_codes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_pk', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('redirect_uri', sa.String(length=512), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('resource', sa.String(length=512), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('grant_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_pk'], ['oauth_clients.id'], name=op.f('fk_oauth_codes_client_pk_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oauth_codes_code_hash'))
    )
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_codes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_codes_client_pk'), ['client_pk'], unique=False)

    op.create_table('oauth_grants',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('client_pk', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('resource', sa.String(length=512), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_grants_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_pk'], ['oauth_clients.id'], name=op.f('fk_oauth_grants_client_pk_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_grants'))
    )
    with op.batch_alter_table('oauth_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_grants_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_grants_client_pk'), ['client_pk'], unique=False)

    op.create_table('oauth_tokens',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('grant_id', sa.String(length=32), nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('audience', sa.String(length=512), nullable=False),
    sa.Column('access_expires_at', sa.DateTime(), nullable=False),
    sa.Column('refresh_expires_at', sa.DateTime(), nullable=True),
    sa.Column('rotated_at', sa.DateTime(), nullable=True),
    sa.Column('access_revoked_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['oauth_grants.id'], name=op.f('fk_oauth_tokens_grant_id_oauth_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_oauth_tokens_access_token_hash')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_oauth_tokens_refresh_token_hash'))
    )
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_tokens_grant_id'), ['grant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_grant_id'))

    op.drop_table('oauth_tokens')
    with op.batch_alter_table('oauth_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_grants_client_pk'))
        batch_op.drop_index(batch_op.f('ix_oauth_grants_account_id'))

    op.drop_table('oauth_grants')
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_codes_client_pk'))
        batch_op.drop_index(batch_op.f('ix_oauth_codes_account_id'))

    op.drop_table('oauth_codes')
    op.drop_table('oauth_clients')
    op.drop_table('device_codes')
