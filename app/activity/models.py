"""The `activity` table: who did what, through which surface, with what outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.gateway.models import BigId


class ActivityEntry(db.Model):
    __tablename__ = "activity"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)  # ties of created_at
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)  # of the call
    actor_kind: Mapped[str] = mapped_column(String(10), nullable=False)  # person | mcp_key | oauth
    actor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # MCP key or OAuth grant id
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)  # email, key label, client name
    surface: Mapped[str] = mapped_column(String(10), nullable=False)  # dashboard | rest | mcp
    action: Mapped[str] = mapped_column(String(64), nullable=False)  # the tool name
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)  # success | refused | failed
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    endpoint: Mapped[str | None] = mapped_column(String(120), nullable=True)  # as the caller named it
    arguments: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON, secrets left out

    # The one index: the trail's order and cursor, and the prune (account by account).
    __table_args__ = (Index("ix_activity_account_time", "account_id", "created_at", "seq"),)
