"""The `logs` family: find and read the call logs of your endpoints (hot and archived)."""

from app.plugin import hookimpl
from plugins.logs import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("logs", summary="Find and read the call logs of your endpoints.")
    fam.action(a.lookup, kind="read", http="GET /logs/lookup", args=a.LookupArgs, returns=a.LogList,
               title="Look up a call log")
    fam.action(a.search, kind="read", http="GET /logs", args=a.SearchArgs, returns=a.LogPage,
               title="Search call logs")
    fam.action(a.fetch_archived, kind="read", http="GET /logs/archived", args=a.ArchivedArgs,
               returns=a.LogList, title="Read archived call logs")
    fam.action(a.resend_webhook, kind="write", http="POST /logs/<log_id>/resend_webhook", args=a.ResendArgs,
               returns=a.LogList, title="Re-send a failed webhook", open_world=True)
