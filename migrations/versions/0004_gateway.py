"""gateway: jobs, endpoints, data keys, records, call logs, usage counters, full-text indexes

Revision ID: 0004
Revises: 0003


"""
from alembic import op
import sqlalchemy as sa

from app.search import ddl, drop_ddl

SEARCHABLE = ("records", "call_logs")


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_at', sa.DateTime(), nullable=False),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.Column('locked_by', sa.String(length=80), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_status_run_at', ['status', 'run_at'], unique=False)

    op.create_table('usage_daily',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
    sa.Column('environment', sa.String(length=10), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('successes', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('writes', sa.Integer(), nullable=False),
    sa.Column('write_latency_ms', sa.Double(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_daily')),
    sa.UniqueConstraint('endpoint_id', 'environment', 'key_id', 'day', name='uq_usage_daily_endpoint_id')
    )
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.create_index('ix_usage_daily_account_day', ['account_id', 'day'], unique=False)

    op.create_table('endpoints',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sandbox_succeeded', sa.Boolean(), nullable=False),
    sa.Column('webhook_secret', sa.String(length=80), nullable=False),
    sa.Column('sandbox_config', sa.JSON(), nullable=False),
    sa.Column('production_config', sa.JSON(), nullable=True),
    sa.Column('deployed_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_endpoints_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoints')),
    sa.UniqueConstraint('account_id', 'name', name='uq_endpoints_account_id_name'),
    sa.UniqueConstraint('slug', name=op.f('uq_endpoints_slug'))
    )
    op.create_table('usage_cycles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('cycle_start', sa.DateTime(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('overage', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_usage_cycles_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_cycles')),
    sa.UniqueConstraint('account_id', 'cycle_start', name='uq_usage_cycles_account_id')
    )
    op.create_table('call_logs',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
    sa.Column('environment', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=True),
    sa.Column('key_id', sa.String(length=32), nullable=True),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('latency_ms', sa.Double(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('query', sa.JSON(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('webhook_status', sa.String(length=12), nullable=True),
    sa.Column('webhook_attempts', sa.Integer(), nullable=False),
    sa.Column('webhook_last_status', sa.Integer(), nullable=True),
    sa.Column('webhook_last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('processed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_call_logs_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_call_logs')),
    sa.UniqueConstraint('id', name=op.f('uq_call_logs_id'))
    )
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.create_index('ix_call_logs_account_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_call_logs_endpoint_env_seq', ['endpoint_id', 'environment', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_logs_record_id'), ['record_id'], unique=False)

    op.create_table('endpoint_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
    sa.Column('is_owner', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('can_create', sa.Boolean(), nullable=False),
    sa.Column('can_read', sa.Boolean(), nullable=False),
    sa.Column('can_update', sa.Boolean(), nullable=False),
    sa.Column('can_delete', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('test_hash', sa.String(length=64), nullable=False),
    sa.Column('test_prefix', sa.String(length=32), nullable=False),
    sa.Column('live_hash', sa.String(length=64), nullable=False),
    sa.Column('live_prefix', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['accounts.id'], name=op.f('fk_endpoint_keys_created_by_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_endpoint_keys_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoint_keys')),
    sa.UniqueConstraint('endpoint_id', 'name', name='uq_endpoint_keys_endpoint_id_name'),
    sa.UniqueConstraint('live_hash', name=op.f('uq_endpoint_keys_live_hash')),
    sa.UniqueConstraint('test_hash', name=op.f('uq_endpoint_keys_test_hash'))
    )
    with op.batch_alter_table('endpoint_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endpoint_keys_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('records',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
    sa.Column('environment', sa.String(length=10), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_records_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_records')),
    sa.UniqueConstraint('id', name=op.f('uq_records_id'))
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index('ix_records_endpoint_env_seq', ['endpoint_id', 'environment', 'seq'], unique=False)

    dialect = op.get_bind().dialect.name
    for table in SEARCHABLE:
        for statement in ddl(dialect, table):
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in SEARCHABLE:
        for statement in drop_ddl(dialect, table):
            op.execute(statement)
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_endpoint_env_seq')

    op.drop_table('records')
    with op.batch_alter_table('endpoint_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endpoint_keys_endpoint_id'))

    op.drop_table('endpoint_keys')
    with op.batch_alter_table('call_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_logs_record_id'))
        batch_op.drop_index('ix_call_logs_endpoint_env_seq')
        batch_op.drop_index('ix_call_logs_account_created')

    op.drop_table('call_logs')
    op.drop_table('usage_cycles')
    op.drop_table('endpoints')
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_daily_account_day')

    op.drop_table('usage_daily')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_run_at')

    op.drop_table('jobs')
