"""stats_get: a month of usage from the daily counters (so archived and purged calls still count)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from app.plugin import current_actor
from app.plugin import utcnow
from app.plugin import db
from app.plugin import endpoints as ep_service
from app.plugin import ENVIRONMENTS, Endpoint, EndpointKey, UsageDaily

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Month(fields.String):
    """YYYY-MM, loaded as the month's first day."""

    def _deserialize(self, value, attr, data, **kwargs):
        match = MONTH.match(super()._deserialize(value, attr, data, **kwargs).strip())
        if not match:
            raise ValidationError("not a month (YYYY-MM)")
        return date(int(match.group(1)), int(match.group(2)), 1)


class StatsArgs(Schema):
    month = Month(load_default=None, allow_none=True,
                  metadata={"description": "YYYY-MM (UTC); this month when left out."})
    endpoint = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120),
                             metadata={"description": "One endpoint (id, slug or name); all yours when left out."})
    environment = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ENVIRONMENTS),
                                metadata={"description": "sandbox or production; both when left out."})


class Counts(Schema):
    calls = fields.Integer(required=True)
    successes = fields.Integer(required=True)
    failures = fields.Integer(required=True)
    writes = fields.Integer(required=True, metadata={"description": "POST, PUT and DELETE calls."})
    average_write_latency_ms = fields.Float(allow_none=True, required=True,
                                            metadata={"description": "null when there were no writes."})


class DayCounts(Counts):
    date = fields.String(required=True, metadata={"format": "date"})


class KeyCounts(Counts):
    key_id = fields.String(required=True)
    key = fields.String(allow_none=True, metadata={"description": "The key's name ('owner' for the owner key); "
                                                                  "null for a deleted key."})
    endpoint_id = fields.String(required=True)
    endpoint = fields.String(allow_none=True, metadata={"description": "The endpoint's name; null if deleted."})


class EndpointRef(Schema):
    id = fields.String()
    name = fields.String()
    slug = fields.String()


class Stats(Schema):
    month = fields.String(required=True)
    endpoint = fields.Nested(EndpointRef, allow_none=True, metadata={"description": "null: account-wide."})
    environment = fields.String(allow_none=True, metadata={"description": "null: both environments."})
    totals = fields.Nested(Counts, required=True)
    days = fields.List(fields.Nested(DayCounts), required=True,
                       metadata={"description": "Every day of the month, days without calls as zeros."})
    keys = fields.List(fields.Nested(KeyCounts), required=True,
                       metadata={"description": "Only keys that made calls this month, most calls first."})


SUMS = (func.sum(UsageDaily.calls), func.sum(UsageDaily.successes), func.sum(UsageDaily.failures),
        func.sum(UsageDaily.writes), func.sum(UsageDaily.write_latency_ms))


def counts(calls, successes, failures, writes, latency) -> dict:
    writes = int(writes or 0)
    return {"calls": int(calls or 0), "successes": int(successes or 0), "failures": int(failures or 0),
            "writes": writes, "average_write_latency_ms": round(float(latency) / writes, 3) if writes else None}


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def get(month: date | None, endpoint: str | None, environment: str | None) -> dict:
    """Usage statistics for one month (UTC; this month by default), account-wide or for one endpoint,
    both environments or one: total calls, successes, failures, writes and their average latency, a
    breakdown for every day of the month, and a breakdown by key (owner key shown as 'owner'). Counts
    include calls whose logs were since archived or purged."""
    account_id = current_actor().account_id
    first = month or utcnow().date().replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    where = [UsageDaily.account_id == account_id, UsageDaily.day >= first, UsageDaily.day <= last]
    ep = ep_service.find_owned(account_id, endpoint) if endpoint else None
    if ep is not None:
        where.append(UsageDaily.endpoint_id == ep.id)
    if environment:
        where.append(UsageDaily.environment == environment)
    totals = db.session.execute(select(*SUMS).where(*where)).one()
    per_day = {as_date(d): counts(*rest) for d, *rest in
               db.session.execute(select(UsageDaily.day, *SUMS).where(*where).group_by(UsageDaily.day))}
    days = []
    for n in range(last.day):
        day = first + timedelta(days=n)
        days.append({"date": day.isoformat(), **per_day.get(day, counts(0, 0, 0, 0, 0))})
    return {"month": first.strftime("%Y-%m"),
            "endpoint": {"id": ep.id, "name": ep.name, "slug": ep.slug} if ep else None,
            "environment": environment, "totals": counts(*totals), "days": days, "keys": by_key(where)}


def by_key(where: list) -> list[dict]:
    stmt = (select(UsageDaily.endpoint_id, UsageDaily.key_id, EndpointKey.name, Endpoint.name, *SUMS)
            .outerjoin(EndpointKey, EndpointKey.id == UsageDaily.key_id)
            .outerjoin(Endpoint, Endpoint.id == UsageDaily.endpoint_id)
            .where(*where).group_by(UsageDaily.endpoint_id, UsageDaily.key_id, EndpointKey.name, Endpoint.name))
    rows = [{"key_id": key_id, "key": key_name, "endpoint_id": ep_id, "endpoint": ep_name, **counts(*rest)}
            for ep_id, key_id, key_name, ep_name, *rest in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (-r["calls"], r["endpoint"] or "", r["key"] or ""))
