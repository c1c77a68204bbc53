"""The to-do actions: plain functions of their validated arguments, one schema each.

Each docstring is what an AI assistant reads. `clear_done` is destructive: minapi keeps it
off MCP and refuses it to AI credentials on REST; only a signed-in person runs it.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import delete, select

from app.plugin import NotFound, current_actor, cursors, db, enqueue, schemas

from minapi_todo.jobs import KIND
from minapi_todo.models import TodoItem


class ItemNotFound(NotFound):
    code = "todo_not_found"
    message = "No to-do item with this id in your list."


class Item(Schema):
    id = fields.Integer()
    text = fields.String()
    done = fields.Boolean()


class ListArgs(schemas.Page):
    done = fields.Boolean(load_default=None, allow_none=True, metadata={"description": "Only done or open items."})


class ItemPage(Schema):
    items = fields.List(fields.Nested(Item))
    has_more = fields.Boolean()
    next_cursor = fields.String(allow_none=True)


class AddArgs(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "What to do."})


class ItemArgs(Schema):
    item_id = fields.Integer(required=True, validate=validate.Range(min=1))


class Empty(Schema):
    pass


class Cleared(Schema):
    deleted = fields.Integer()


def list_items(limit: int, cursor: str | None, done: bool | None) -> dict:
    """List your to-do items, oldest first. Filter with done=true or done=false. Returns a page of
    items; pass next_cursor back as cursor for the next page."""
    after = cursors.decode("todo", cursor) or 0
    query = select(TodoItem).where(TodoItem.account_id == current_actor().account_id, TodoItem.id > after)
    if done is not None:
        query = query.where(TodoItem.done == done)
    rows = db.session.scalars(query.order_by(TodoItem.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "has_more": more, "next_cursor": cursors.encode("todo", rows[-1].id) if more else None}


def add(text: str) -> TodoItem:
    """Add an item to your to-do list, when the user asks to remember something. The account's
    owner gets an email about it. Returns the new item."""
    item = TodoItem(account_id=current_actor().account_id, text=text, done=False)
    db.session.add(item)
    db.session.flush()
    enqueue(KIND, {"item_id": item.id})  # committed with the item, run by the worker afterwards
    return item


def complete(item_id: int) -> TodoItem:
    """Mark one of your to-do items done. Returns the item."""
    item = db.session.get(TodoItem, item_id)
    if item is None or item.account_id != current_actor().account_id:
        raise ItemNotFound()
    item.done = True
    return item


def clear_done() -> dict:
    """Delete every done item of your list, for good. Returns how many were deleted."""
    result = db.session.execute(delete(TodoItem).where(TodoItem.account_id == current_actor().account_id,
                                                       TodoItem.done.is_(True)))
    return {"deleted": result.rowcount}
