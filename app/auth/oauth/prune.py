"""The hourly task that deletes OAuth rows nobody can use any more.

A code, token or device code is kept until a day after it can no longer be used: until then a
used code or a rotated refresh token still serves to detect a replay (and revoke its family).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from app.auth.oauth.models import DeviceCode, OAuthCode, OAuthToken
from app.db import utcnow
from app.extensions import db
from app.tools import hookimpl

MARGIN = timedelta(days=1)


def prune(job=None) -> dict:
    """Delete expired codes, tokens and device codes; returns how many of each (the worker commits)."""
    cutoff = utcnow() - MARGIN
    deleted = {
        "codes": db.session.execute(delete(OAuthCode).where(OAuthCode.expires_at < cutoff)).rowcount,
        "tokens": db.session.execute(delete(OAuthToken).where(
            OAuthToken.access_expires_at < cutoff,
            or_(OAuthToken.refresh_expires_at.is_(None), OAuthToken.refresh_expires_at < cutoff))).rowcount,
        "device_codes": db.session.execute(delete(DeviceCode).where(
            DeviceCode.expires_at < cutoff,
            or_(DeviceCode.session_expires_at.is_(None), DeviceCode.session_expires_at < cutoff))).rowcount,
    }
    return deleted


@hookimpl
def register_jobs(jobs):
    jobs.periodic("oauth.prune", prune, every=timedelta(hours=1))
