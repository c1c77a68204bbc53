"""The data plane: `/api/v1/data/<slug>`, the JSON API each endpoint gives its owner.

models.py    endpoints, their keys, records, call logs, usage counters
fields.py    field definitions and record validation
keys.py      data keys (owner and collaboration pairs): mint, find by hash, permissions
endpoints.py endpoint services: create, find by id/slug/name, configure, deploy
records.py   record storage, cursor pages, full-text search
usage.py     daily counters, the plan's cycle counter, quota
calls.py     one data-plane call end to end (decide, then write), shared by the HTTP edge and the
             api_call tools
sql.py       the hot path's fixed statements, the per-thread connections of the HTTP edge
ratelimit.py the per-key rate limit
views.py     the HTTP edge: a WSGI layer in front of Flask's dispatch
"""
