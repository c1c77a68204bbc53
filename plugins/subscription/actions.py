"""The subscription actions: the plan and this cycle's usage; plan change and cancel (people only).

Plans are instance configuration (`MINAPI_PLANS`). People change their own plan only when the
instance allows it (`MINAPI_SELF_SERVICE_PLANS=true`); otherwise an admin runs
`minapi users set-plan EMAIL PLAN`. A plan change keeps the current 30-day cycle and its count.
"""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from app.plugin import Account
from app.plugin import check_plan
from app.plugin import current_actor
from app.plugin import Forbidden
from app.plugin import db
from app.plugin import is_frozen
from app.plugin import cycle_usage


class PlanView(Schema):
    name = fields.String(required=True)
    price = fields.Float(required=True, metadata={"description": "Per 30-day cycle, in USD."})
    calls = fields.Integer(required=True, metadata={"description": "Calls included per cycle."})
    overage_price = fields.Float(allow_none=True, metadata={"description": "USD per call past the limit; "
                                                                           "null: calls past it are refused."})
    endpoint_lifetime_days = fields.Integer(allow_none=True, metadata={"description": "null: endpoints are kept."})


class Subscription(Schema):
    plan = fields.String(required=True)
    currency = fields.String(required=True)
    price = fields.Float(required=True)
    calls_per_cycle = fields.Integer(required=True)
    overage_price = fields.Float(allow_none=True)
    endpoint_lifetime_days = fields.Integer(allow_none=True)
    cycle_start = fields.DateTime(required=True)
    cycle_end = fields.DateTime(required=True)
    calls_used = fields.Integer(required=True, metadata={"description": "Calls counted this cycle."})
    calls_remaining = fields.Integer(required=True)
    overage_calls = fields.Integer(required=True, metadata={"description": "Calls past the plan's limit."})
    overage_cost = fields.Float(required=True, metadata={"description": "USD owed for overage calls so far."})
    self_service = fields.Boolean(required=True, metadata={"description": "Whether you may change plan yourself."})
    plans = fields.List(fields.Nested(PlanView), required=True)
    ai_writes_frozen = fields.Boolean(required=True, metadata={"description": "true: a person froze every "
                                                                             "AI write on this account."})


class ChangeArgs(Schema):
    plan = fields.String(required=True, validate=validate.Length(min=1, max=40))


class SelfServiceDisabled(Forbidden):
    code = "self_service_disabled"
    message = ("Plans are changed by an administrator of this instance "
               "(minapi users set-plan EMAIL PLAN); self-service plan changes are off.")


def plan_view(name: str, spec: dict) -> dict:
    return {"name": name, "price": spec.get("price") or 0, "calls": spec["calls"],
            "overage_price": spec.get("overage_price"), "endpoint_lifetime_days": spec.get("endpoint_lifetime_days")}


def view(account: Account) -> dict:
    plans = current_app.config["PLANS"]
    plan = plan_view(account.plan, plans[account.plan])
    start, end, used, overage = cycle_usage(account.id, account.cycle_started_at or account.created_at)
    return {"plan": account.plan, "currency": "USD", "price": plan["price"], "calls_per_cycle": plan["calls"],
            "overage_price": plan["overage_price"], "endpoint_lifetime_days": plan["endpoint_lifetime_days"],
            "cycle_start": start, "cycle_end": end, "calls_used": used,
            "calls_remaining": max(0, plan["calls"] - used), "overage_calls": overage,
            "overage_cost": round(overage * (plan["overage_price"] or 0), 6),
            "self_service": current_app.config["SELF_SERVICE_PLANS"],
            "plans": [plan_view(n, spec) for n, spec in plans.items()],
            "ai_writes_frozen": is_frozen(account.id)}


def _account() -> Account:
    return db.session.get(Account, current_actor().account_id)


def get() -> dict:
    """Your subscription: plan, price, calls included per 30-day cycle, the cycle's start and end,
    calls used and remaining, overage calls and their cost, endpoint lifetime, and the instance's plans.
    Use it for the plan's limit, what is left this cycle, or the bill."""
    return view(_account())


def _move(plan: str) -> dict:
    if not current_app.config["SELF_SERVICE_PLANS"]:
        raise SelfServiceDisabled()
    check_plan(plan)
    account = _account()
    account.plan = plan
    db.session.flush()
    return view(account)


def change_plan(plan: str) -> dict:
    """Move your account to another plan (when this instance allows self-service plan changes).
    The current cycle and its count carry over."""
    return _move(plan)


def cancel() -> dict:
    """Cancel your subscription: your account moves to the instance's default plan."""
    return _move(current_app.config["DEFAULT_PLAN"])
