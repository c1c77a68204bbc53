"""stats_get: a month of usage from the daily counters (so archived and purged calls still count)."""

from __future__ import annotations

import calendar
import re
from datetime import date, timezone

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from app.plugin import current_actor
from app.plugin import utcnow
from app.plugin import db
from app.plugin import endpoints as ep_service
from app.plugin import ENVIRONMENTS, Endpoint, EndpointKey, UsageDaily
from app.plugin import ValidationFailed
from app.plugin import parse_moment

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Month(fields.String):
    """YYYY-MM, loaded as the month's first day."""

    def _deserialize(self, value, attr, data, **kwargs):
        match = MONTH.match(super()._deserialize(value, attr, data, **kwargs).strip())
        if not match:
            raise ValidationError("not a month (YYYY-MM)")
        return date(int(match.group(1)), int(match.group(2)), 1)


class Day(fields.String):
    """A day (YYYY-MM-DD, the whole UTC day) or an ISO 8601 time (its UTC day)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_moment(super()._deserialize(value, attr, data, **kwargs)).astimezone(timezone.utc).date()
        except ValueError:
            raise ValidationError("not a day (YYYY-MM-DD)") from None


class StatsArgs(Schema):
    month = Month(load_default=None, allow_none=True,
                  metadata={"description": "YYYY-MM (UTC); the month of `to` when left out."})
    to = Day(load_default=None, allow_none=True, metadata={
        "format": "date", "description": "The last day counted (YYYY-MM-DD, the whole UTC day); today when "
                                          "left out. Through yesterday: pass yesterday's date."})
    endpoint = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120),
                             metadata={"description": "One endpoint (id, slug or name); all yours when left out."})
    environment = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ENVIRONMENTS),
                                metadata={"description": "sandbox or production; both when left out."})


class Counts(Schema):
    calls = fields.Integer(required=True)
    successes = fields.Integer(required=True)
    failures = fields.Integer(required=True)
    writes = fields.Integer(required=True, metadata={"description": "POST, PUT and DELETE calls."})
    average_write_latency_ms = fields.Float(allow_none=True, required=True)  # null: no writes


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
    to = fields.String(required=True, metadata={"format": "date", "description": "The last day counted."})
    endpoint = fields.Nested(EndpointRef, allow_none=True, metadata={"description": "null: account-wide."})
    environment = fields.String(allow_none=True, metadata={"description": "null: both environments."})
    totals = fields.Nested(Counts, required=True)
    days = fields.List(fields.Nested(DayCounts), required=True,
                       metadata={"description": "Each day with calls, from the 1st through `to` (a day left out "
                                                "had none)."})
    keys = fields.List(fields.Nested(KeyCounts), required=True,
                       metadata={"description": "Keys that made calls in those days, most calls first."})


SUMS = (func.sum(UsageDaily.calls), func.sum(UsageDaily.successes), func.sum(UsageDaily.failures),
        func.sum(UsageDaily.writes), func.sum(UsageDaily.write_latency_ms))


def counts(calls, successes, failures, writes, latency) -> dict:
    writes = int(writes or 0)
    return {"calls": int(calls or 0), "successes": int(successes or 0), "failures": int(failures or 0),
            "writes": writes, "average_write_latency_ms": round(float(latency) / writes, 3) if writes else None}


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def period(month: date | None, to: date | None) -> tuple[date, date]:
    """The first and the last day counted: the month's 1st through `to` (today by default), never
    past the month's end."""
    today = utcnow().date()
    first = month or (to or today).replace(day=1)
    end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if to is not None and not first <= to <= end:
        raise ValidationFailed(f"'to' must be a day of {first:%Y-%m}.", details={"to": [f"not in {first:%Y-%m}"]})
    return first, min(end, to or today)


def get(month: date | None, to: date | None, endpoint: str | None, environment: str | None) -> dict:
    """Usage for one month (UTC) from the 1st through `to` (today by default; "this month through
    yesterday" is to=yesterday's date), account-wide or for one endpoint, one environment or both.
    Use it for "how much have I used". Returns the totals through that day (calls, successes,
    failures, writes, average write latency), each day with calls, and a breakdown by key.
    subscription_get has the plan's limit and billing cycle."""
    account_id = current_actor().account_id
    first, last = period(month, to)
    where = [UsageDaily.account_id == account_id, UsageDaily.day >= first, UsageDaily.day <= last]
    ep = ep_service.find_owned(account_id, endpoint) if endpoint else None
    if ep is not None:
        where.append(UsageDaily.endpoint_id == ep.id)
    if environment:
        where.append(UsageDaily.environment == environment)
    totals = db.session.execute(select(*SUMS).where(*where)).one()
    per_day = sorted((as_date(d), counts(*rest)) for d, *rest in
                     db.session.execute(select(UsageDaily.day, *SUMS).where(*where).group_by(UsageDaily.day)))
    days = [{"date": day.isoformat(), **row} for day, row in per_day if row["calls"]]
    return {"month": first.strftime("%Y-%m"), "to": last.isoformat(),
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
