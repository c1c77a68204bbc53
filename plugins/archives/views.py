"""The signed download route for archives kept in a local folder (S3 serves its own presigned URLs).

`GET /api/archive-files/<account>/<endpoint>/<day>.<ext>?expires=…&signature=…` needs no
session or key: the HMAC signature made by `archives_download` is the credential. An
expired or altered link is refused with 403 and the usual error shape.
"""

from __future__ import annotations

import re

from flask import Blueprint, request, send_file

from app.plugin import AppError, NotFound
from app.plugin import db
from app.plugin import Endpoint
from plugins.archives.storage import LocalStorage, check_signature, storage

bp = Blueprint("archives_files", __name__)
SEGMENT = re.compile(r"^[a-z]+_[a-z0-9]{1,40}$")
NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.(jsonl\.gz|csv)$")
MIMETYPES = {"jsonl.gz": "application/gzip", "csv": "text/csv"}


@bp.get("/api/archive-files/<account_id>/<endpoint_id>/<name>")
def download(account_id: str, endpoint_id: str, name: str):
    key = f"{account_id}/{endpoint_id}/{name}"
    problem = check_signature(key, request.args.get("expires"), request.args.get("signature"))
    if problem == "expired":
        raise AppError("This download link has expired; ask for a new one (archives_download).",
                       code="link_expired", status=403)
    match = NAME.match(name)
    if problem or not match or not SEGMENT.match(account_id) or not SEGMENT.match(endpoint_id):
        raise AppError("This download link is not valid.", code="invalid_signature", status=403)
    store = storage()
    path = store.path(key) if isinstance(store, LocalStorage) else None
    endpoint = db.session.get(Endpoint, endpoint_id)
    if path is None or not path.is_file() or endpoint is None or endpoint.account_id != account_id:
        raise NotFound("This archive file no longer exists.", code="archive_not_found")
    return send_file(path, mimetype=MIMETYPES[match.group(2)], as_attachment=True,
                     download_name=f"{endpoint.slug}-{name}", max_age=0)
