"""Bookkeeping tables of notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.gateway.models import BigId


class NotificationThrottle(db.Model):
    """When a notification of one kind was last sent for an endpoint and environment."""

    __tablename__ = "notification_throttles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False)
    environment: Mapped[str] = mapped_column(String(10), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # failed_call / failed_webhook
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("endpoint_id", "environment", "kind",
                                       name="uq_notification_throttles_endpoint_id"),)


class UsageAlert(db.Model):
    """A usage alert (80 or 100 % of the plan) sent for one account in one cycle: at most one each."""

    __tablename__ = "usage_alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    cycle_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    threshold: Mapped[int] = mapped_column(Integer, nullable=False)  # percent
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "cycle_start", "threshold",
                                       name="uq_usage_alerts_account_id"),)
