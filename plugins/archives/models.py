"""The `archives_files` table: one row per archived endpoint-day (both formats of one file set)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.plugin import UTCDateTime, utcnow
from app.plugin import db
from app.plugin import BigId

FORMATS = {"jsonl": "jsonl.gz", "csv": "csv"}  # format name -> file extension


class ArchiveFile(db.Model):
    __tablename__ = "archives_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32), nullable=False)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)  # UTC day of the calls' created_at
    rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    jsonl_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    csv_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("endpoint_id", "day", name="uq_archives_files_endpoint_id"),
                      Index("ix_archives_files_account_day", "account_id", "day"))

    def key(self, fmt: str) -> str:
        """Where the file lives in the archive storage."""
        return storage_key(self.account_id, self.endpoint_id, self.day, fmt)


def storage_key(account_id: str, endpoint_id: str, day: date, fmt: str) -> str:
    return f"{account_id}/{endpoint_id}/{day.isoformat()}.{FORMATS[fmt]}"
