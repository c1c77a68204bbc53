"""The `stats` family: monthly usage statistics from the daily counters."""

from app.plugin import hookimpl
from plugins.stats import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("stats", summary="Usage statistics of your endpoints, by month, day and key.")
    fam.action(a.get, kind="read", http="GET /stats", args=a.StatsArgs, returns=a.Stats, title="Get usage statistics")
