"""The archives actions: list the archive files, get a 15-minute download link, delete a day."""

from __future__ import annotations

import base64
from datetime import date, datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select, tuple_

from app.plugin import current_actor
from app.plugin import NotFound, ValidationFailed
from app.plugin import db
from app.plugin import endpoints as ep_service
from app.plugin import Endpoint
from app.plugin import cursors
from plugins.archives.models import FORMATS, ArchiveFile
from plugins.archives.services import delete_files
from plugins.archives.storage import storage
from app.plugin import schemas as s


class ArchiveNotFound(NotFound):
    code, message = "archive_not_found", "This endpoint has no archive for this day."


class Day(fields.String):
    """A UTC day, YYYY-MM-DD."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise ValidationError("not a date (YYYY-MM-DD)") from None


class ListArgs(s.Page):
    endpoint = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120),
                             metadata={"description": "Only this endpoint (id, slug or name)."})


class DayArgs(Schema):
    endpoint = s.endpoint_ref()
    date = Day(required=True, metadata={"description": "The UTC day, YYYY-MM-DD.", "format": "date"})


class DownloadArgs(DayArgs):
    format = fields.String(load_default="jsonl", validate=validate.OneOf(list(FORMATS)),
                           metadata={"description": "jsonl (gzip-compressed JSON lines, default) or csv."})


class FileSizes(Schema):
    jsonl = fields.Integer(metadata={"description": "Bytes of the .jsonl.gz file."})
    csv = fields.Integer(metadata={"description": "Bytes of the .csv file."})


class ArchiveView(Schema):
    endpoint_id = fields.String(required=True)
    endpoint = fields.String(required=True, metadata={"description": "The endpoint's slug."})
    date = fields.String(required=True, metadata={"format": "date"})
    rows = fields.Integer(required=True, metadata={"description": "Call logs in the file."})
    bytes = fields.Nested(FileSizes)
    updated_at = fields.DateTime()


class ArchiveList(Schema):
    archives = fields.List(fields.Nested(ArchiveView), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    has_more = fields.Boolean(required=True)


class Download(Schema):
    url = fields.String(required=True, metadata={"description": "GET it within 15 minutes; no key needed."})
    expires_at = fields.DateTime(required=True)
    filename = fields.String(required=True)
    format = fields.String(required=True)
    rows = fields.Integer()


class Deleted(Schema):
    deleted = fields.String(required=True, metadata={"description": "The day whose files were deleted."})
    endpoint_id = fields.String(required=True)


def view(row: ArchiveFile, slug: str) -> dict:
    return {"endpoint_id": row.endpoint_id, "endpoint": slug, "date": row.day.isoformat(), "rows": row.rows,
            "bytes": {"jsonl": row.jsonl_bytes, "csv": row.csv_bytes}, "updated_at": row.updated_at}


def encode_cursor(row: ArchiveFile) -> str:
    return base64.urlsafe_b64encode(f"a{row.day.isoformat()}|{row.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, int]:
    try:
        raw = cursors.unwrap(cursor)
        day, _, ident = raw[1:].partition("|")
        if raw[0] != "a":
            raise ValueError
        return date.fromisoformat(day), cursors.number(ident)
    except (ValueError, IndexError, UnicodeError):
        raise ValidationFailed("The cursor is not valid; use next_cursor from the previous page.",
                               details={"cursor": ["not a cursor from this tool"]}) from None


def _file(endpoint: str, day: date) -> tuple[Endpoint, ArchiveFile]:
    ep = ep_service.find_owned(current_actor().account_id, endpoint)
    row = db.session.scalar(select(ArchiveFile).where(ArchiveFile.endpoint_id == ep.id, ArchiveFile.day == day,
                                                      ArchiveFile.rows > 0))
    if row is None:
        raise ArchiveNotFound()
    return ep, row


def list_archives(endpoint: str | None, limit: int, cursor: str | None) -> dict:
    """List the archive files of your endpoints (or of one), newest day first: production call logs
    older than 30 days, one file per endpoint and UTC day, with call counts and sizes. Pages with
    limit and cursor. Get a file with archives_download."""
    account_id = current_actor().account_id
    stmt = select(ArchiveFile, Endpoint.slug).join(Endpoint, Endpoint.id == ArchiveFile.endpoint_id).where(
        ArchiveFile.account_id == account_id, Endpoint.account_id == account_id, ArchiveFile.rows > 0)
    if endpoint:
        stmt = stmt.where(ArchiveFile.endpoint_id == ep_service.find_owned(account_id, endpoint).id)
    if cursor:
        stmt = stmt.where(tuple_(ArchiveFile.day, ArchiveFile.id) < tuple_(*decode_cursor(cursor)))
    rows = db.session.execute(stmt.order_by(ArchiveFile.day.desc(), ArchiveFile.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"archives": [view(r, slug) for r, slug in rows], "has_more": more,
            "next_cursor": encode_cursor(rows[-1][0]) if more else None}


def download(endpoint: str, date: date, format: str) -> dict:
    """Get a download link for one day of an endpoint's archived call logs: format jsonl (gzip-compressed
    JSON lines, default) or csv. The link works without any key for 15 minutes; give it to the user
    rather than fetching it. Returns the url, when it expires, and the file name."""
    ep, row = _file(endpoint, date)
    filename = f"{ep.slug}-{row.day.isoformat()}.{FORMATS[format]}"
    url, expires = storage().link(row.key(format), filename)
    return {"url": url, "expires_at": datetime.fromtimestamp(expires, timezone.utc), "filename": filename,
            "format": format, "rows": row.rows}


def delete_archive(endpoint: str, date: date) -> dict:
    """Delete one day of an endpoint's archived call logs (both files) for good."""
    ep, row = _file(endpoint, date)
    db.session.delete(row)
    db.session.flush()  # a database refusal surfaces before any file is gone
    delete_files(row)
    return {"deleted": row.day.isoformat(), "endpoint_id": ep.id}
