"""jobs: periodic schedules, notification throttles, usage alerts sent per cycle

Revision ID: 0005
Revises: 0004


"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_schedules',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('next_run_at', sa.DateTime(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_schedules'))
    )
    op.create_table('usage_alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=32), nullable=False),
    sa.Column('cycle_start', sa.DateTime(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_usage_alerts_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_alerts')),
    sa.UniqueConstraint('account_id', 'cycle_start', 'threshold', name='uq_usage_alerts_account_id')
    )
    op.create_table('notification_throttles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
    sa.Column('environment', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_notification_throttles_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_throttles')),
    sa.UniqueConstraint('endpoint_id', 'environment', 'kind', name='uq_notification_throttles_endpoint_id')
    )


def downgrade():
    op.drop_table('notification_throttles')
    op.drop_table('usage_alerts')
    op.drop_table('job_schedules')
