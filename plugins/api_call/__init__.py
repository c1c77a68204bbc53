"""The `api_call` family: call your own endpoint through the gateway, as its owner."""

from app.plugin import hookimpl
from plugins.api_call import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("api_call", summary="Call your own endpoints' data API through the gateway.")
    fam.action(a.get, kind="read", http="GET /api_call", args=a.GetArgs, returns=a.Response,
               title="Read records of your endpoint")
    fam.action(a.post, kind="write", http="POST /api_call", args=a.PostArgs, returns=a.Response,
               title="Create a record in your endpoint", open_world=True)
    fam.action(a.put, kind="write", http="PUT /api_call", args=a.PutArgs, returns=a.Response,
               modifies_existing=True, open_world=True, title="Replace a record in your endpoint")
    fam.action(a.delete, kind="write", http="DELETE /api_call", args=a.RecordArgs, returns=a.Response,
               modifies_existing=True, open_world=True, title="Delete a record in your endpoint",
               delete_reason="deletes one record of the user's own API through its gateway; never an endpoint")
