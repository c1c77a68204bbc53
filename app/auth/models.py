"""Tables for AI credentials: MCP keys (OAuth grants and tokens join them in the OAuth module)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import TimestampMixin, UTCDateTime, new_id
from app.extensions import db


class McpKey(TimestampMixin, db.Model):
    """An account-level `tm_mcp_…` key for AI tools; only its hash is kept."""

    __tablename__ = "mcp_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mk"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    scopes: Mapped[str] = mapped_column(String(100), nullable=False)  # space-separated
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(32), nullable=False)  # shown instead of the key
    created_by: Mapped[str] = mapped_column(String(20), nullable=False, default="user")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
