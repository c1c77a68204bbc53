"""The plugin's background job: mail the account owner about a new item (after the write commits)."""

from __future__ import annotations

from app.plugin import Account, JobRun, Permanent, db, send_mail

from minapi_todo.models import TodoItem

KIND = "todo.announce"


def announce(job: JobRun) -> None:
    item = db.session.get(TodoItem, job.payload["item_id"])
    if item is None:
        raise Permanent("the item was deleted before it was announced")
    account = db.session.get(Account, item.account_id)
    send_mail(account.email, f"New to-do: {item.text}", f"You added a to-do item: {item.text}")
