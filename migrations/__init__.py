"""Alembic migrations (Flask-Migrate): one linear history for SQLite and PostgreSQL."""
