"""The `subscription` family: your plan and usage; plan change and cancel are for people only."""

from app.plugin import hookimpl, schemas
from plugins.subscription import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("subscription", summary="Your plan, this cycle's usage and what it costs.")
    fam.action(a.get, kind="read", http="GET /subscription", args=schemas.NoArgs, returns=a.Subscription,
               title="Get your subscription")
    fam.action(a.change_plan, kind="destructive", http="POST /subscription/change_plan", args=a.ChangeArgs,
               returns=a.Subscription, title="Change plan")
    fam.action(a.cancel, kind="destructive", http="POST /subscription/cancel", args=schemas.NoArgs,
               returns=a.Subscription, title="Cancel the subscription")
