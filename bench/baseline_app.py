"""The benchmark's baseline: a bare Flask app that parses the same JSON and does one insert.

Served by gunicorn exactly like minapi (same worker class, workers and threads), on the same
kind of database (`BENCH_DB_URL`), so the ratio measures what minapi's gateway adds.
"""

import json
import os
import secrets

from flask import Flask, abort, jsonify, request
from sqlalchemy import create_engine, event, text

url = os.environ["BENCH_DB_URL"]
engine = create_engine(url, pool_size=10, max_overflow=10)

if url.startswith("sqlite"):
    @event.listens_for(engine, "connect")
    def _pragmas(conn, _):  # the same settings minapi uses
        cur = conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

app = Flask(__name__)


@app.post("/base")
def create():
    data = json.loads(request.get_data())
    if not isinstance(data, dict):
        abort(400)
    rid = "rec_" + secrets.token_hex(10)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO base (id, data) VALUES (:id, :data)"), {"id": rid, "data": json.dumps(data)})
    return jsonify({"id": rid, "data": data}), 201


@app.get("/base/<rid>")
def get_one(rid):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, data FROM base WHERE id = :id"), {"id": rid}).first()
    if row is None:
        abort(404)
    return jsonify({"id": row.id, "data": json.loads(row.data)})
