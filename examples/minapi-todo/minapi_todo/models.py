"""The plugin's one table, on its own SQLAlchemy metadata (so minapi's migrations never see it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.plugin import db, utcnow


class Base(DeclarativeBase):
    pass


class TodoItem(Base):
    __tablename__ = "todo_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    text: Mapped[str] = mapped_column(String(200), nullable=False)
    done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=lambda: utcnow().replace(tzinfo=None))


def create_tables(app) -> None:
    with app.app_context():
        Base.metadata.create_all(db.engine)
