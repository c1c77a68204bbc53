"""Tables of the data plane."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TimestampMixin, UTCDateTime, new_id, utcnow
from app.extensions import db

SANDBOX, PRODUCTION = "sandbox", "production"
ENVIRONMENTS = (SANDBOX, PRODUCTION)
BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite only autoincrements INTEGER keys


class Endpoint(TimestampMixin, db.Model):
    __tablename__ = "endpoints"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ep"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # deploys so far
    sandbox_succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    webhook_secret: Mapped[str] = mapped_column(String(80), nullable=False)  # needed in plaintext to sign
    sandbox_config: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    production_config: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # None until deployed
    deployed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "name", name="uq_endpoints_account_id_name"),)

    def config(self, environment: str) -> dict | None:
        return config_of(self, environment)


def config_of(endpoint, environment: str) -> dict | None:
    """An environment's configuration, for an Endpoint or the gateway's light endpoint record."""
    return endpoint.sandbox_config if environment == SANDBOX else endpoint.production_config


class EndpointKey(TimestampMixin, db.Model):
    """A data-key pair: `tm_test_…` for the sandbox and `tm_live_…` for production.

    The owner pair has every right and cannot be deleted; collaboration pairs carry CRUD rights.
    """

    __tablename__ = "endpoint_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("key"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    can_create: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    can_read: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    can_update: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    can_delete: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    test_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    test_prefix: Mapped[str] = mapped_column(String(32), nullable=False)
    live_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    live_prefix: Mapped[str] = mapped_column(String(32), nullable=False)

    __table_args__ = (UniqueConstraint("endpoint_id", "name", name="uq_endpoint_keys_endpoint_id_name"),)

    @property
    def permissions(self) -> dict:
        return {"create": self.can_create, "read": self.can_read, "update": self.can_update,
                "delete": self.can_delete}


class Record(db.Model):
    __tablename__ = "records"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)  # order and cursor
    id: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=lambda: new_id("rec"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False)
    environment: Mapped[str] = mapped_column(String(10), nullable=False)
    data: Mapped[dict] = mapped_column(JSON, nullable=False)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")  # full-text index source
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_records_endpoint_env_seq", "endpoint_id", "environment", "seq"),)


class CallLog(db.Model):
    __tablename__ = "call_logs"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=lambda: new_id("log"))
    account_id: Mapped[str] = mapped_column(String(32), nullable=False)  # the endpoint owner's
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False)
    environment: Mapped[str] = mapped_column(String(10), nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)  # create/list/search/get/replace/delete
    record_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    via: Mapped[str] = mapped_column(String(10), nullable=False, default="http")  # http or api_call
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)  # success / failed
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # a failure's {message, details}
    latency_ms: Mapped[float] = mapped_column(nullable=False, default=0.0)
    payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    query: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    webhook_status: Mapped[str | None] = mapped_column(String(12), nullable=True)  # pending/delivered/failed
    webhook_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    webhook_last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    webhook_last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_call_logs_endpoint_env_seq", "endpoint_id", "environment", "seq"),
                      Index("ix_call_logs_account_created", "account_id", "created_at"),
                      Index("ix_call_logs_outcome_seq", "outcome", "seq"))  # status=failed, newest first


class UsageDaily(db.Model):
    """Counters per endpoint, environment, key and UTC day; stats read these, not the logs.

    Each database connection adds to its own `shard` row, so concurrent calls never queue on
    one row's lock; readers sum the shards.
    """

    __tablename__ = "usage_daily"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32), nullable=False)
    endpoint_id: Mapped[str] = mapped_column(String(32), nullable=False)
    environment: Mapped[str] = mapped_column(String(10), nullable=False)
    key_id: Mapped[str] = mapped_column(String(32), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    successes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    writes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    write_latency_ms: Mapped[float] = mapped_column(nullable=False, default=0.0)
    shard: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (UniqueConstraint("endpoint_id", "environment", "key_id", "day", "shard",
                                       name="uq_usage_daily_shard"),
                      Index("ix_usage_daily_account_day", "account_id", "day"))


class UsageCycle(db.Model):
    """Calls counted against the account's plan in one 30-day cycle (sharded like UsageDaily)."""

    __tablename__ = "usage_cycles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    cycle_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    overage: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    shard: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    __table_args__ = (UniqueConstraint("account_id", "cycle_start", "shard", name="uq_usage_cycles_shard"),)


class Invitation(TimestampMixin, db.Model):
    """An email invitation to a collaboration key; accepted, it shares the endpoint with that account."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("inv"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("endpoint_keys.id", ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)  # lower-cased
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")  # pending/accepted/revoked
    invited_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    accepted_by: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True,
                                                    index=True)

    @property
    def state(self) -> str:
        """pending, accepted, revoked, or expired (a pending invitation past its date)."""
        if self.status == "pending" and self.expires_at <= utcnow():
            return "expired"
        return self.status
