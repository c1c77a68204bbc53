"""The `endpoints` family: create, inspect, configure and deploy your JSON APIs."""

from app.plugin import hookimpl
from plugins.endpoints import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("endpoints", summary="Your JSON API endpoints: create, configure, deploy.")
    fam.action(a.list_endpoints, name="list", kind="read", http="GET /endpoints", args=a.ListArgs,
               returns=a.Listing, title="List endpoints")
    fam.action(a.get, kind="read", http="GET /endpoints/<endpoint>", args=a.EndpointArgs, returns=a.Detail,
               title="Get an endpoint")
    fam.action(a.create, kind="write", http="POST /endpoints", args=a.CreateArgs, returns=a.Created,
               status=201, title="Create an endpoint")
    fam.action(a.update, kind="write", http="PATCH /endpoints/<endpoint>", args=a.UpdateArgs, returns=a.Detail,
               title="Update an endpoint")
    fam.action(a.deploy, kind="write", http="POST /endpoints/<endpoint>/deploy", args=a.EndpointArgs,
               returns=a.Detail, title="Deploy to production")
    fam.action(a.delete, kind="destructive", http="DELETE /endpoints/<endpoint>", args=a.EndpointArgs,
               returns=a.Deleted, title="Delete an endpoint")
    fam.action(a.regenerate_keys, kind="destructive", http="POST /endpoints/<endpoint>/regenerate_keys",
               args=a.EndpointArgs, returns=a.KeyPair, title="Regenerate the owner keys")
    fam.action(a.clear_sandbox, kind="destructive", http="POST /endpoints/<endpoint>/clear_sandbox",
               args=a.EndpointArgs, returns=a.Cleared, title="Clear sandbox records")
