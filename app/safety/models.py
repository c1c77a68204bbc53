"""The `ai_controls` table: one row per account with a freeze, one per narrowed credential.

`subject` is the account id (a freeze) or an MCP key / OAuth grant id (a policy), so the
runner reads both in one indexed query: `WHERE subject IN (account, credential)`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

FREEZE, POLICY = "freeze", "policy"


class AiControl(db.Model):
    __tablename__ = "ai_controls"

    subject: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True,
                                            nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # freeze | policy
    policy: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, for kind policy
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
