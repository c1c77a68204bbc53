"""The worker's hourly oauth.prune deletes what can no longer be used, a day after it expired."""

from datetime import timedelta

from sqlalchemy import update

from app.auth.oauth.models import DeviceCode
from app.db import utcnow
from app.extensions import db
from tests.app.auth.oauth.support import live_app
from tests.app.auth.oauth.test_device import ALLOWED, poll, start


def test_device_codes_are_deleted_a_day_after_they_expire(make_app):
    with live_app(make_app, ALLOWED_MCP_CLIENT_IDS=ALLOWED) as (app, base):
        old, recent, fresh = start(base), start(base), start(base)
        with app.app_context():
            for started, age in ((old, timedelta(days=2)), (recent, timedelta(hours=2))):
                db.session.execute(update(DeviceCode).where(DeviceCode.user_code == started["user_code"])
                                   .values(expires_at=utcnow() - age))
            db.session.commit()
        assert poll(base, old["device_code"]).json() == {"status": "expired"}
        result = app.test_cli_runner().invoke(args=["worker", "--burst"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert poll(base, old["device_code"]).json()["error"]["code"] == "invalid_device_code"  # gone
        assert poll(base, recent["device_code"]).json() == {"status": "expired"}  # kept for a day
        assert poll(base, fresh["device_code"]).json()["status"] == "pending"
