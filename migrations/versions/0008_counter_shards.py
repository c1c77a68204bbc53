"""counter shards: usage counters get a shard column so concurrent calls never share a counter row

Revision ID: 0008
Revises: 0007


"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('usage_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shard', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_usage_cycles_account_id'), type_='unique')
        batch_op.create_unique_constraint('uq_usage_cycles_shard', ['account_id', 'cycle_start', 'shard'])

    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shard', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_usage_daily_endpoint_id'), type_='unique')
        batch_op.create_unique_constraint('uq_usage_daily_shard', ['endpoint_id', 'environment', 'key_id', 'day', 'shard'])



COUNTERS = {
    "usage_daily": (("account_id", "endpoint_id", "environment", "key_id", "day"),
                    ("calls", "successes", "failures", "writes", "write_latency_ms")),
    "usage_cycles": (("account_id", "cycle_start"), ("calls", "overage")),
}


def collapse_shards(table: str) -> None:
    """Sum every group's shards into one shard-0 row, so the old one-row-per-group constraint holds."""
    keys, sums = COUNTERS[table]
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT {', '.join(keys)}, {', '.join(f'SUM({c})' for c in sums)} "
                                f"FROM {table} GROUP BY {', '.join(keys)}")).all()
    bind.execute(sa.text(f"DELETE FROM {table}"))
    columns = keys + sums
    insert = sa.text(f"INSERT INTO {table} ({', '.join(columns)}, shard) "
                     f"VALUES ({', '.join(':' + c for c in columns)}, 0)")
    for row in rows:
        bind.execute(insert, dict(zip(columns, row)))


def downgrade():
    collapse_shards("usage_daily")
    collapse_shards("usage_cycles")
    with op.batch_alter_table('usage_daily', schema=None) as batch_op:
        batch_op.drop_constraint('uq_usage_daily_shard', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_usage_daily_endpoint_id'), ['endpoint_id', 'environment', 'key_id', 'day'])
        batch_op.drop_column('shard')

    with op.batch_alter_table('usage_cycles', schema=None) as batch_op:
        batch_op.drop_constraint('uq_usage_cycles_shard', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_usage_cycles_account_id'), ['account_id', 'cycle_start'])
        batch_op.drop_column('shard')

