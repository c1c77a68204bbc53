"""minapi-todo: a to-do list per account, as a minapi plugin.

Hooks only; the actions live in `actions.py`, the table in `models.py`, the job in `jobs.py`.
Everything from minapi comes from `app.plugin`, the public plugin kit.
"""

from app.plugin import hookimpl

from minapi_todo import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("todo", summary="A to-do list for your account.")
    fam.action(a.list_items, name="list", kind="read", http="GET /todo", args=a.ListArgs, returns=a.ItemPage,
               title="List to-do items")
    fam.action(a.add, kind="write", http="POST /todo", args=a.AddArgs, returns=a.Item, status=201,
               title="Add a to-do item")
    fam.action(a.complete, kind="write", http="POST /todo/<item_id>/done", args=a.ItemArgs, returns=a.Item,
               title="Mark a to-do item done", modifies_existing=True)
    fam.action(a.clear_done, kind="destructive", http="DELETE /todo/done", args=a.Empty, returns=a.Cleared,
               title="Delete every done item")


@hookimpl
def register_jobs(jobs):
    from minapi_todo.jobs import KIND, announce

    jobs.handler(KIND, announce, max_attempts=3)


@hookimpl
def register_blueprints(app):
    # No plugin migrations in minapi yet: the plugin makes its own table if it is missing.
    from minapi_todo.models import create_tables

    create_tables(app)
